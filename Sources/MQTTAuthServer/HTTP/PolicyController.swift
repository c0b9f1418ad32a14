import Foundation
import Hummingbird
import NIOCore

/// `GET /v2/policy`: the superusers and the rules, acl files resolved, as `ACLPolicy` JSON,
/// for the plugin's `synced` mode. The `ETag` is the policy's version, a hash of its content:
/// `If-None-Match` with it answers 304 without a body, so polling costs almost nothing until a
/// reload changes the rules. Guarded like the broker endpoints (`BrokerGuard`).
struct PolicyController<Context: RemoteAddressRequestContext>: Sendable {
    let runtime: RuntimeBox

    func register(on router: Router<Context>) {
        router.get("/v2/policy") { request, context in
            let runtime = runtime.current
            if let refusal = runtime.configuration.broker.access.refusal(remote: context.remoteAddress, authorization: request.headers[.authorization]) {
                throw refusal
            }
            let etag = "\"\(runtime.policy.version)\""
            if let known = request.headers[.ifNoneMatch], known.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag }) {
                return Response(status: .notModified, headers: [.eTag: etag])
            }
            return Response(
                status: .ok,
                headers: [.contentType: "application/json", .eTag: etag, .cacheControl: "no-cache"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: runtime.policy.body))
            )
        }
    }
}
