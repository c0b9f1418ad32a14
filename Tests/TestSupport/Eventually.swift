import Foundation

/// Polls `condition` every 20 ms for up to `seconds`.
package func eventually(seconds: Double = 5, _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}

/// Runs `body`, which blocks (an MQTT client's loop, a process wait), on a thread of its own and
/// awaits its result, so that it does not hold one of the concurrency pool's two threads: held
/// for seconds, they starve every other test's timers.
package func offThePool<T: Sendable>(_ body: @escaping () -> T) async -> T {
    let box = UncheckedBox(body)
    return await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: box.value()) }.start()
    }
}

/// Hands a value that is not `Sendable` to one other thread, which alone uses it.
private final class UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
