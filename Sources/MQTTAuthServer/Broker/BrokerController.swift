import Hummingbird
import NIOCore

/// Every row of `BrokerEndpoint.table` as Hummingbird routes, by the row's methods. Most
/// requests are answered earlier, on the connection's event loop, by `BrokerFastPath`; these
/// routes serve the rest (a request pipelined behind one that went to the router) and the
/// router-level tests.
struct BrokerController<Context: RemoteAddressRequestContext>: Sendable {
    let endpoints: BrokerEndpoints

    func register(on router: Router<Context>) {
        for endpoint in BrokerEndpoint.table {
            for method in endpoint.methods {
                router.on(RouterPath(endpoint.path), method: method) { request, context in
                    try await respond(request, endpoint, from: context.remoteAddress)
                }
            }
        }
    }

    private func respond(_ request: Request, _ endpoint: BrokerEndpoint, from address: SocketAddress?) async throws -> Response {
        var request = request
        let answer: BrokerEndpoints.Answer
        do {
            let body = try await request.collectBody(upTo: endpoint.bodyLimit)
            answer = await endpoints.answer(
                endpoint, .init(body: body, contentType: request.headers[.contentType], query: request.uri.query),
                peer: .init(address: address, authorization: request.headers[.authorization])
            )
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            answer = endpoints.tooLarge(endpoint)
        } catch is NIOTooManyBytesError {
            answer = endpoints.tooLarge(endpoint)
        }
        var headers: HTTPFields = [.contentType: answer.contentType]
        if let cacheControl = answer.cacheControl { headers[.cacheControl] = cacheControl }
        return Response(status: answer.status, headers: headers, body: ResponseBody(byteBuffer: answer.body))
    }
}
