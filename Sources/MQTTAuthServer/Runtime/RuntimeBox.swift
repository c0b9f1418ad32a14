import Synchronization

/// The current `Runtime`, swapped atomically on reload. Reading it is a lock and a retain:
/// cheap enough for every request.
package final class RuntimeBox: Sendable {
    private let runtime: Mutex<Runtime>

    package init(_ runtime: Runtime) {
        self.runtime = Mutex(runtime)
    }

    package var current: Runtime {
        runtime.withLock { $0 }
    }

    package func replace(with runtime: Runtime) {
        self.runtime.withLock { $0 = runtime }
    }
}
