import Hummingbird
import Logging
import ServiceLifecycle
import Testing

/// Runs `router` as a real HTTP server on 127.0.0.1, on a port the system picks, for as long as
/// `body` runs, then shuts it down: for tests of what the daemon fetches (JWKS, discovery).
enum LoopbackHTTPServer {
    static let quiet = Logger(label: "loopback-http-test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func run<T: Sendable>(
        _ router: Router<BasicRequestContext>,
        _ body: @Sendable (_ baseURL: String) async throws -> T
    ) async throws -> T {
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portSink.yield(channel.localAddress?.port ?? 0)
                portSink.finish()
            },
            logger: quiet
        )
        let services = ServiceGroup(configuration: .init(services: [app], logger: quiet))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            defer { group.cancelAll() }
            var next = ports.makeAsyncIterator()
            let port = try #require(await next.next())
            do {
                let result = try await body("http://127.0.0.1:\(port)")
                await services.triggerGracefulShutdown()
                return result
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
        }
    }
}
