import Synchronization

/// A value built by an async function the first time it is needed, then kept.
///
/// Concurrent first uses may each build it; the first one stored is the one everybody gets from
/// then on, so `build` must be idempotent (building jwt-kit key collections is, and it is cheap).
final class OnDemand<Value: Sendable>: Sendable {
    private let build: @Sendable () async -> Value
    private let stored = Mutex<Value?>(nil)

    init(_ build: @escaping @Sendable () async -> Value) {
        self.build = build
    }

    var value: Value {
        get async {
            if let value = stored.withLock({ $0 }) { return value }
            let built = await build()
            return stored.withLock { stored in
                if let existing = stored { return existing }
                stored = built
                return built
            }
        }
    }
}
