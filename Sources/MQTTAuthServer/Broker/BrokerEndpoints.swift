import Foundation
import HTTPTypes
import NIOCore

/// Every broker endpoint of `BrokerEndpoint.table`, for both server paths (`BrokerFastPath`
/// and `BrokerController`): the guard first, then the row's protocol adapter, which decodes,
/// calls `BrokerDecisions` and encodes (docs/architecture.md §2.8).
struct BrokerEndpoints: Sendable {
    let decisions: BrokerDecisions

    /// A request as an adapter sees it: its whole body, content type and URI query.
    struct Call {
        var body: ByteBuffer
        var contentType: String?
        var query: String?
    }

    /// Who sent a request: what `BrokerGuard` decides on.
    struct Peer {
        var address: SocketAddress?
        var authorization: String?
    }

    /// A finished answer, ready to be written by either server path.
    struct Answer: Sendable {
        var status: HTTPResponse.Status
        var contentType: String
        var body: ByteBuffer
        /// A `Cache-Control` header, for the protocols whose brokers cache answers by it.
        var cacheControl: String?
    }

    /// An answer now, or one that waits for a look-up (`BrokerDecisions.LookUp`).
    enum Reply {
        case ready(Answer)
        case later(@Sendable () async -> Answer)
    }

    /// The reply to one request on `endpoint`.
    func reply(_ endpoint: BrokerEndpoint, _ call: Call, peer: Peer) -> Reply {
        // The one read of the runtime for this request: the guard, the adapter's settings and
        // every decision use it.
        let runtime = decisions.runtime.current
        let access = runtime.configuration.broker.access
        if !access.isOpen, let refusal = access.refusal(remote: peer.address, authorization: peer.authorization) {
            return .ready(refused(endpoint, refusal, runtime))
        }
        switch endpoint.brokerProtocol {
        case .goAuth: return GoAuthAdapter(decisions: decisions, runtime: runtime).reply(endpoint.id, call)
        case .emqx: return EMQXAdapter(decisions: decisions, runtime: runtime).reply(endpoint.id, call)
        case .rabbitMQ: return RabbitMQAdapter(decisions: decisions, runtime: runtime).reply(endpoint.id, call)
        case .verneMQ: return VerneMQAdapter(decisions: decisions, runtime: runtime).reply(endpoint.id, call)
        }
    }

    /// The answer, waiting for a look-up when there is one.
    func answer(_ endpoint: BrokerEndpoint, _ call: Call, peer: Peer) async -> Answer {
        switch reply(endpoint, call, peer: peer) {
        case .ready(let answer): answer
        case .later(let resolve): await resolve()
        }
    }

    /// The answer to a body over the endpoint's `bodyLimit`.
    func tooLarge(_ endpoint: BrokerEndpoint) -> Answer {
        refused(endpoint, .payloadTooLarge(limit: endpoint.bodyLimit), decisions.runtime.current)
    }

    /// How the endpoint's protocol answers a request it cannot serve: always a refusal.
    private func refused(_ endpoint: BrokerEndpoint, _ error: APIError, _ runtime: Runtime) -> Answer {
        switch endpoint.brokerProtocol {
        case .goAuth: GoAuthAdapter(decisions: decisions, runtime: runtime).refused(error)
        case .emqx: EMQXAdapter.refused(error)
        case .rabbitMQ: RabbitMQAdapter.refused(error)
        case .verneMQ: VerneMQAdapter.refused(error)
        }
    }
}
