import Foundation
import MQTTAuthCore
import Synchronization

/// The in-memory copy of the stored credentials, which `authenticate` reads without touching
/// the disk: username → that user's few credentials, oldest first.
///
/// Invariants: it holds only credentials that were committed to the database; and only the
/// database's serial writer queue changes it, right after each commit (or `init`, before the
/// store is shared). So changes apply in commit order, an older commit never overwrites a newer
/// one, and a change may be computed from a snapshot outside the lock.
package struct CredentialIndex: Sendable {
    package struct Entry: Sendable, Equatable {
        /// The row id: a larger id is a newer credential.
        package let id: Int64
        /// SHA-256 of the password, 32 bytes.
        package let hash: [UInt8]
        package let expiresAt: Date
        /// The credential's `token_id`, which the `/mqtt/auth` answer carries (for the plugin's
        /// revocation feed, docs/architecture.md §4.11).
        package let tokenID: String

        package init(id: Int64, hash: [UInt8], expiresAt: Date, tokenID: String) {
            self.id = id
            self.hash = hash
            self.expiresAt = expiresAt
            self.tokenID = tokenID
        }
    }

    private var byUsername: [String: [Entry]] = [:]
    /// Each user's attributes, from the latest exchange (or token login); kept when the user
    /// has no credential left, since a token login needs none.
    private var attributesByUsername: [String: UserAttributes] = [:]
    /// Users refused new credentials until a time (`CredentialStore.terminate`).
    private var blocks: [String: Date] = [:]

    package init() {}

    /// Until when `username` is blocked, if still at `now`.
    package func blockedUntil(_ username: String, now: Date) -> Date? {
        blocks[username].flatMap { $0 > now ? $0 : nil }
    }

    /// Records a block (nil: none), as the store holds it.
    package mutating func setBlock(_ until: Date?, for username: String) {
        blocks[username] = until
    }

    package func attributes(for username: String) -> UserAttributes {
        attributesByUsername[username] ?? .none
    }

    package mutating func setAttributes(_ attributes: UserAttributes, for username: String) {
        attributesByUsername[username] = attributes.values.isEmpty ? nil : attributes
    }

    /// Credentials in id order, as the store loads them.
    package mutating func append(_ entry: Entry, for username: String) {
        byUsername[username, default: []].append(entry)
    }

    /// The user's credentials, expired ones included (callers check `expiresAt`).
    package func entries(for username: String) -> [Entry] {
        byUsername[username] ?? []
    }

    /// Sets the user's credentials to exactly `entries`, read back from the database.
    package mutating func replace(_ username: String, with entries: [Entry]) {
        byUsername[username] = entries.isEmpty ? nil : entries
    }

    /// A copy without the credentials that have `expiresAt <= now`.
    package func removingExpired(now: Date) -> CredentialIndex {
        var copy = CredentialIndex()
        copy.attributesByUsername = attributesByUsername
        copy.blocks = blocks.filter { $0.value > now }
        copy.byUsername = byUsername.compactMapValues { entries in
            let kept = entries.filter { $0.expiresAt > now }
            return kept.isEmpty ? nil : kept
        }
        return copy
    }

    /// Credentials with `expiresAt > now`.
    package func activeCount(now: Date) -> Int {
        byUsername.values.reduce(0) { count, entries in
            count + entries.count(where: { $0.expiresAt > now })
        }
    }
}

/// The index behind a lock, shared by the store and its group-commit writer.
package final class LockedIndex: Sendable {
    private let mutex: Mutex<CredentialIndex>

    package init(_ index: CredentialIndex) {
        mutex = Mutex(index)
    }

    package func withLock<Result>(_ body: (inout CredentialIndex) throws -> Result) rethrows -> Result {
        try mutex.withLock { try body(&$0) }
    }
}

extension CredentialIndex {
    /// The user's unexpired credential whose hash is `hash`, compared with every credential of
    /// the user in constant time and with no early exit (docs/architecture.md §4).
    package static func match(_ hash: [UInt8], in entries: [Entry], now: Date) -> CredentialMatch? {
        var match: CredentialMatch?
        for entry in entries {
            let equal = CredentialRules.constantTimeEqual(entry.hash, hash)
            if equal, entry.expiresAt > now {
                match = CredentialMatch(expiresAt: entry.expiresAt, tokenID: entry.tokenID)
            }
        }
        return match
    }

    /// Every username in the index.
    package var usernames: Dictionary<String, [Entry]>.Keys { byUsername.keys }
}
