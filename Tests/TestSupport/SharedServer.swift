import Foundation
import Synchronization

/// A heavy server that a whole test run shares (a PostgreSQL cluster, a RabbitMQ node): started
/// on first use, stopped when the test process exits.
///
/// `get()` waits on a thread of its own: the first call starts the server (seconds), and every
/// other call waits for it, which on the concurrency pool's two threads would stall every other
/// test meanwhile. A start that failed is not retried; every caller gets its error.
package final class SharedServer<Server: Sendable>: Sendable {
    private let start: @Sendable () throws -> Server
    private let stop: @Sendable (Server) -> Void
    private let started = Mutex<Result<Server, any Error>?>(nil)

    package init(start: @escaping @Sendable () throws -> Server, stop: @escaping @Sendable (Server) -> Void) {
        self.start = start
        self.stop = stop
    }

    package func get() async throws -> Server {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: self.startedOnce()) }.start()
        }
    }

    private func startedOnce() -> Result<Server, any Error> {
        started.withLock { started in
            if let started { return started }
            let result = Result { try start() }
            if case .success(let server) = result {
                let stop = stop
                StopsAtExit.add { stop(server) }
            }
            started = result
            return result
        }
    }
}

/// What runs when the test process exits: one `atexit` handler for every shared server.
private enum StopsAtExit {
    private static let stops = Mutex<[@Sendable () -> Void]?>(nil)

    static func add(_ stop: @escaping @Sendable () -> Void) {
        stops.withLock { stops in
            if stops == nil {
                stops = []
                atexit { StopsAtExit.runAll() }
            }
            stops!.append(stop)
        }
    }

    private static func runAll() {
        let all = stops.withLock { stops in
            defer { stops = [] }
            return stops ?? []
        }
        for stop in all { stop() }
    }
}
