#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// A provider's JWKS, fetched on demand through a ``JWKSSource`` and kept for a while.
///
/// Invariants, all measured on the injected clock:
/// - Keys are used for at most ``maximumAge`` after they arrived; after that the next token that
///   needs one fetches again, and if that fails the token is refused (fail closed, no stale keys).
/// - A `kid` missing from fresh keys waits for the fetch already running, if any; otherwise it
///   causes a refetch only if no fetch has started in the last ``refetchInterval``, and is
///   refused at once if one has. So unknown key ids, however many and however concurrent, cause
///   at most one fetch per interval; a key still missing after the refetch is "unknown key id".
/// - After a failed fetch, tokens that need keys the cache does not have are refused without
///   fetching for ``failureBackoff``, so an unreachable JWKS is not hammered once per request.
/// - At most one fetch runs at a time; every request that needs it waits for that one.
final class JWKSCache: SigningKeys {
    static let maximumAge: TimeInterval = 600
    static let refetchInterval: TimeInterval = 60
    static let failureBackoff: TimeInterval = 5

    private struct State {
        var keys: KeySet?
        /// When `keys` arrived.
        var fetchedAt = Date.distantPast
        /// When the latest fetch started, whether it succeeded or not.
        var lastFetch: Date?
        var lastFailure: Date?
        /// The running fetch; its value is nil if it failed.
        var inFlight: Task<KeySet?, Never>?
    }

    private enum Plan {
        case use(VerificationKey)
        case refuse(TokenError)
        case wait(Task<KeySet?, Never>)
    }

    private let source: any JWKSSource
    private let now: @Sendable () -> Date
    private let state = Mutex(State())

    init(source: any JWKSSource, now: @escaping @Sendable () -> Date) {
        self.source = source
        self.now = now
    }

    func key(id: String, algorithm: SigningAlgorithm) async throws(TokenError) -> VerificationKey {
        let plan = state.withLock { state in self.plan(id: id, algorithm: algorithm, state: &state) }
        switch plan {
        case .use(let key):
            return key
        case .refuse(let error):
            throw error
        case .wait(let fetch):
            guard let keys = await fetch.value else { throw .keysUnavailable }
            return try keys.resolve(id: id, algorithm: algorithm)
        }
    }

    private func plan(id: String, algorithm: SigningAlgorithm, state: inout State) -> Plan {
        let time = now()
        if let keys = state.keys, time < state.fetchedAt + Self.maximumAge {
            switch keys.lookup(id: id, algorithm: algorithm) {
            case .found(let key):
                return .use(key)
            case .otherAlgorithm:
                return .refuse(.keyAlgorithmMismatch)
            case .unknown:
                if let fetch = state.inFlight { return .wait(fetch) }
                if let last = state.lastFetch, time < last + Self.refetchInterval { return .refuse(.unknownKeyID) }
                return .wait(startFetch(at: time, state: &state))
            }
        }
        if let fetch = state.inFlight { return .wait(fetch) }
        if let failed = state.lastFailure, time < failed + Self.failureBackoff { return .refuse(.keysUnavailable) }
        return .wait(startFetch(at: time, state: &state))
    }

    /// Starts the one fetch; called with the lock held, so the task cannot record its result
    /// before it is registered as in flight.
    private func startFetch(at time: Date, state: inout State) -> Task<KeySet?, Never> {
        state.lastFetch = time
        let fetch = Task { [source] () -> KeySet? in
            let keys: KeySet?
            do {
                keys = try await KeySet.build(from: source.fetchJWKS())
            } catch {
                keys = nil
            }
            self.finish(keys)
            return keys
        }
        state.inFlight = fetch
        return fetch
    }

    private func finish(_ keys: KeySet?) {
        let time = now()
        state.withLock { state in
            state.inFlight = nil
            if let keys {
                state.keys = keys
                state.fetchedAt = time
            } else {
                state.lastFailure = time
            }
        }
    }
}
