import Hummingbird
import Logging
import NIOCore

/// The request context of every route: Hummingbird's basic context plus the peer's address,
/// which the exchange's per-client rate limit is keyed by.
package struct AuthdRequestContext: RequestContext, RemoteAddressRequestContext {
    package var coreContext: CoreRequestContextStorage
    package let remoteAddress: SocketAddress?

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address as text, or "unknown" (tests, Unix sockets).
    var clientAddress: String {
        remoteAddress?.ipAddress ?? "unknown"
    }
}
