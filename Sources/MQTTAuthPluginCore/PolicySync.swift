#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import MQTTAuthCore
import NIOCore
import Synchronization

/// `plugin_opt_acl synced`: the daemon's central policy (`GET /v2/policy`), compiled in-process.
///
/// The broker's thread calls `pollIfDue` on every tick; a fetch then runs on the HTTP client's
/// thread, never blocking the broker, and its answer waits here until the next tick `take`s it
/// and `apply` checks it. Fetches go out every `interval` with `If-None-Match`, so an unchanged
/// policy costs a 304; a reload on the daemon reaches the broker within about one interval.
///
/// Failures never loosen anything: before the first policy the plugin denies every check,
/// afterwards it keeps the last good policy, and a policy that does not decode or compile is
/// refused (and not fetched again until the daemon's version changes).
package final class PolicySync: Sendable {
    package static let interval = Duration.seconds(1)

    private struct State {
        var etag: String?
        var inFlight = false
        var nextPoll = ContinuousClock.now
        var arrived: DaemonClient.PolicyAnswer?
        /// The last failure reported, so that one outage logs once, not every second.
        var lastFailure: String?
        var lastDeniedLog: ContinuousClock.Instant?
    }

    private let daemon: DaemonClient
    private let state = Mutex(State())

    package init(daemon: DaemonClient) {
        self.daemon = daemon
    }

    /// What `apply` made of an answer.
    package enum Outcome {
        case applied(CompiledACL, version: String, superusers: Int)
        case refused(reason: String)
        /// The first failure of a run of them.
        case failed(reason: String)
        /// A failure already reported.
        case quiet
        case unchanged
    }

    /// Starts a fetch when one is due and none is running.
    package func pollIfDue(now: ContinuousClock.Instant = .now) {
        let etag: String?? = state.withLock { state in
            guard !state.inFlight, now >= state.nextPoll else { return .none }
            state.inFlight = true
            return .some(state.etag)
        }
        guard case .some(let known) = etag else { return }
        Task {
            let answer = await daemon.fetchPolicy(etag: known)
            state.withLock { state in
                state.arrived = answer
                state.inFlight = false
                state.nextPoll = .now + Self.interval
            }
        }
    }

    /// Makes the next tick fetch (after the broker's own reload).
    package func pollSoon() {
        state.withLock { $0.nextPoll = .now }
    }

    /// Fetches once and waits for the answer, for at most `timeout`: at start, so that the
    /// first clients already meet the policy when the daemon is up.
    package func fetchNow(timeout: Duration) -> DaemonClient.PolicyAnswer? {
        let semaphore = DispatchSemaphore(value: 0)
        let result = Mutex<DaemonClient.PolicyAnswer?>(nil)
        Task {
            let answer = await daemon.fetchPolicy(etag: nil)
            result.withLock { $0 = answer }
            semaphore.signal()
        }
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000) + 200_000_000
        _ = semaphore.wait(timeout: .now() + .nanoseconds(nanoseconds))
        return result.withLock { $0 }
    }

    /// The answer that arrived since the last tick, if any.
    package func take() -> DaemonClient.PolicyAnswer? {
        state.withLock { state in
            defer { state.arrived = nil }
            return state.arrived
        }
    }

    /// Checks and compiles an answer. The ETag is remembered only for a policy that was
    /// applied or refused, so that a refused one is not downloaded again until it changes.
    package func apply(_ answer: DaemonClient.PolicyAnswer) -> Outcome {
        switch answer {
        case .unchanged:
            state.withLock { $0.lastFailure = nil }
            return .unchanged
        case .unavailable(let reason):
            let repeated = state.withLock { state in
                defer { state.lastFailure = reason }
                return state.lastFailure == reason
            }
            return repeated ? .quiet : .failed(reason: reason)
        case .changed(let body, let etag):
            do {
                let (version, configuration) = try ACLPolicy.decode(body)
                state.withLock { state in
                    state.etag = etag ?? "\"\(version)\""
                    state.lastFailure = nil
                }
                return .applied(configuration.compile(), version: version, superusers: configuration.superusers.count)
            } catch {
                state.withLock { state in
                    state.etag = etag
                    state.lastFailure = nil
                }
                return .refused(reason: error.description)
            }
        }
    }

    /// Logs, at most every 5 s, that a check was denied for want of a policy.
    package func noteDeniedWithoutPolicy(now: ContinuousClock.Instant = .now) -> Bool {
        state.withLock { state in
            if let last = state.lastDeniedLog, now - last < .seconds(5) { return false }
            state.lastDeniedLog = now
            return true
        }
    }
}
