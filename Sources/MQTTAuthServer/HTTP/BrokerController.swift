import Hummingbird
import NIOCore

/// The broker endpoints as Hummingbird routes, by POST, GET or PUT. Most requests are answered
/// earlier, on the connection's event loop, by `BrokerFastPath`; these routes serve the rest
/// (a request pipelined behind one that went to the router) and the router-level tests.
struct BrokerController<Context: RemoteAddressRequestContext>: Sendable {
    let endpoints: BrokerEndpoints

    func register(on router: Router<Context>) {
        for (path, endpoint) in [("/mqtt/auth", BrokerEndpoints.Endpoint.auth), ("/mqtt/superuser", .superuser), ("/mqtt/acl", .acl)] {
            for method in [HTTPRequest.Method.post, .get, .put] {
                router.on(RouterPath(path), method: method) { request, context in
                    try await respond(request, endpoint, from: context.remoteAddress)
                }
            }
        }
    }

    private func respond(_ request: Request, _ endpoint: BrokerEndpoints.Endpoint, from address: SocketAddress?) async throws -> Response {
        var request = request
        let answer: BrokerEndpoints.Answer
        do {
            let body = try await request.collectBody(upTo: BrokerEndpoints.bodyLimit)
            answer = await endpoints.answer(
                endpoint, body: body, contentType: request.headers[.contentType], query: request.uri.query,
                peer: .init(address: address, authorization: request.headers[.authorization])
            )
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            answer = endpoints.tooLarge()
        }
        return Response(
            status: answer.status,
            headers: [.contentType: answer.contentType],
            body: ResponseBody(byteBuffer: answer.body)
        )
    }
}
