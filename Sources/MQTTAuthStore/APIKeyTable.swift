import Foundation
import MQTTAuthCore
import Synchronization

/// The stored API keys in memory, behind a lock (docs/architecture.md "Where state lives").
/// Reads of the whole table replace it only when they started after whatever was applied last
/// (`ticket()` before the read): so a slow read can never bring back a key that a later read
/// saw revoked.
package final class APIKeyTable: Sendable {
    private struct State {
        var keys: [StoredAPIKey] = []
        var applied: UInt64 = 0
        var issued: UInt64 = 0
        /// Minutes (Unix seconds, whole minutes) noted but not yet written, by name.
        var pendingUses: [String: Int64] = [:]
    }

    private let state = Mutex(State())

    package init() {}

    /// A ticket for a read that is about to start.
    package func ticket() -> UInt64 {
        state.withLock { state in
            state.issued += 1
            return state.issued
        }
    }

    /// Replaces the table with `keys`, read after `ticket()` gave `ticket`, unless a read that
    /// started later was applied already. Returns whether it applied.
    @discardableResult
    package func replace(with keys: [StoredAPIKey], ticket: UInt64) -> Bool {
        state.withLock { state in
            guard ticket > state.applied else { return false }
            state.applied = ticket
            state.keys = keys
            return true
        }
    }

    package var all: [StoredAPIKey] { state.withLock { $0.keys } }

    /// The live key with this SHA-256; every key is compared, in constant time.
    package func key(forDigest digest: [UInt8], now: Date) -> StoredAPIKey? {
        let keys = state.withLock { $0.keys }
        var found: StoredAPIKey?
        for key in keys where CredentialRules.constantTimeEqual(key.sha256, digest) {
            found = found ?? key
        }
        return found.flatMap { $0.isLive(now: now) ? $0 : nil }
    }

    /// Notes a use in the minute of `now`, unless that minute is recorded or noted already.
    package func noteUse(name: String, now: Date) {
        let minute = UnixTime.seconds(now) / 60 * 60
        state.withLock { state in
            if let known = state.keys.first(where: { $0.name == name })?.lastUsedAt, UnixTime.seconds(known) >= minute { return }
            if let pending = state.pendingUses[name], pending >= minute { return }
            state.pendingUses[name] = minute
        }
    }

    /// The noted uses, forgotten here; after writing them, `recorded` puts them in the table.
    /// Takes the uses noted since the last flush, has `write` store them (each key's minute),
    /// and records the outcome: written, or put back for the next flush. Returns how many keys.
    package func flush(_ write: ([String: Int64]) async throws -> Void) async throws -> Int {
        let uses = takePendingUses()
        guard !uses.isEmpty else { return 0 }
        do {
            try await write(uses)
        } catch {
            recorded(uses, written: false)
            throw error
        }
        recorded(uses, written: true)
        return uses.count
    }

    package func takePendingUses() -> [String: Int64] {
        state.withLock { state in
            defer { state.pendingUses.removeAll() }
            return state.pendingUses
        }
    }

    /// Records written uses in memory (a later minute only), or, when the write failed, keeps
    /// them noted for the next flush.
    package func recorded(_ uses: [String: Int64], written: Bool) {
        state.withLock { state in
            if written {
                for index in state.keys.indices {
                    guard let minute = uses[state.keys[index].name] else { continue }
                    if state.keys[index].lastUsedAt.map({ UnixTime.seconds($0) < minute }) ?? true {
                        state.keys[index].lastUsedAt = UnixTime.date(minute)
                    }
                }
            } else {
                state.pendingUses.merge(uses) { max($0, $1) }
            }
        }
    }
}
