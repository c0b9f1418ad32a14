#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// The daemon's revocation feed (`GET /v2/revocations`, docs/architecture.md §4.11), polled on
/// the broker's tick like `PolicySync`: a fetch runs on the HTTP client's thread, and the ids it
/// brings wait here until the next tick `take`s them.
///
/// The cursor only moves on an answer, so a plugin cut off from every daemon asks, once one is
/// back, from where it stopped: what was revoked meanwhile still ends its sessions. Each poll
/// asks from `overlap` before the cursor, because the cursor is one daemon's clock and
/// revocations are written by any daemon; an id seen twice ends nothing twice.
package final class RevocationFeed: Sendable {
    package static let interval = Duration.seconds(1)
    /// Seconds asked again before the cursor: beyond any write's timeout and clock skew between
    /// daemons that share one database.
    package static let overlap: Int64 = 30

    private struct State {
        var cursor: Int64?
        var inFlight = false
        var nextPoll = ContinuousClock.now
        var arrived: [String] = []
        var lastFailure: String?
    }

    private let daemon: DaemonClient
    private let state = Mutex(State())

    package init(daemon: DaemonClient) {
        self.daemon = daemon
    }

    /// Starts a fetch when one is due and none is running.
    package func pollIfDue(now: ContinuousClock.Instant = .now) {
        let since: Int64?? = state.withLock { state in
            guard !state.inFlight, now >= state.nextPoll else { return .none }
            state.inFlight = true
            return .some(state.cursor.map { $0 - Self.overlap })
        }
        guard case .some(let from) = since else { return }
        Task {
            let answer = await daemon.fetchRevocations(since: from)
            record(answer)
        }
    }

    /// Applies an answer: the ids wait for `take`, the cursor moves on.
    package func record(_ answer: DaemonClient.RevocationAnswer) {
        state.withLock { state in
            state.inFlight = false
            switch answer {
            case .revoked(let ids, let cursor, let complete):
                state.arrived += ids
                // A full answer goes on from its last revocation, at once.
                state.cursor = complete ? cursor : cursor + Self.overlap
                state.nextPoll = complete ? .now + Self.interval : .now
                state.lastFailure = nil
            case .unavailable(let reason):
                state.nextPoll = .now + Self.interval
                state.lastFailure = reason
            }
        }
    }

    /// The ids that arrived since the last tick.
    package func take() -> [String] {
        state.withLock { state in
            defer { state.arrived = [] }
            return state.arrived
        }
    }

    /// The reason of the latest failed poll, once per run of failures: for a log line.
    package func takeFailure() -> String? {
        state.withLock { state in
            defer { state.lastFailure = nil }
            return state.lastFailure
        }
    }
}

/// Which connected client used which credential (`token_id` from `/mqtt/auth`), so that a
/// revocation ends exactly the client ids that used it. Like `SessionExpiry`, each entry
/// remembers its connection (`owner`), so that a client id taken over by a new connection on
/// another credential is not ended for the old one's.
package struct SessionTokens {
    private var byClient: [String: (owner: UInt, tokenID: String)] = [:]
    private var byToken: [String: Set<String>] = [:]

    package init() {}

    package var count: Int { byClient.count }

    /// `clientID` authenticated on connection `owner` with the credential `tokenID`.
    package mutating func track(clientID: String, owner: UInt, tokenID: String) {
        if let previous = byClient[clientID] { drop(clientID, from: previous.tokenID) }
        byClient[clientID] = (owner, tokenID)
        byToken[tokenID, default: []].insert(clientID)
    }

    /// Connection `owner` of `clientID` ended (or authenticated without a credential).
    package mutating func forget(clientID: String, owner: UInt) {
        guard let entry = byClient[clientID], entry.owner == owner else { return }
        byClient[clientID] = nil
        drop(clientID, from: entry.tokenID)
    }

    /// The client ids now connected with any of `tokenIDs`; they are forgotten.
    package mutating func revoke(_ tokenIDs: [String]) -> [String] {
        var ended: [String] = []
        for tokenID in tokenIDs {
            guard let clients = byToken.removeValue(forKey: tokenID) else { continue }
            for clientID in clients.sorted() {
                byClient[clientID] = nil
                ended.append(clientID)
            }
        }
        return ended
    }

    private mutating func drop(_ clientID: String, from tokenID: String) {
        byToken[tokenID]?.remove(clientID)
        if byToken[tokenID]?.isEmpty == true { byToken[tokenID] = nil }
    }
}
