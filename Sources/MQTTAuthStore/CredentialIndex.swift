import Foundation
import Synchronization

/// The in-memory copy of the stored credentials, which `authenticate` reads without touching
/// the disk: username → that user's few credentials, oldest first.
///
/// Invariants: it holds only credentials that were committed to the database; and only the
/// database's serial writer queue changes it, right after each commit (or `init`, before the
/// store is shared). So changes apply in commit order, an older commit never overwrites a newer
/// one, and a change may be computed from a snapshot outside the lock.
struct CredentialIndex: Sendable {
    struct Entry: Sendable {
        /// The row id: a larger id is a newer credential.
        let id: Int64
        /// SHA-256 of the password, 32 bytes.
        let hash: [UInt8]
        let expiresAt: Date
    }

    private var byUsername: [String: [Entry]] = [:]

    init() {}

    /// Credentials in id order, as the store loads them.
    mutating func append(_ entry: Entry, for username: String) {
        byUsername[username, default: []].append(entry)
    }

    /// The user's credentials, expired ones included (callers check `expiresAt`).
    func entries(for username: String) -> [Entry] {
        byUsername[username] ?? []
    }

    /// Sets the user's credentials to exactly `entries`, read back from the database.
    mutating func replace(_ username: String, with entries: [Entry]) {
        byUsername[username] = entries.isEmpty ? nil : entries
    }

    /// A copy without the credentials that have `expiresAt <= now`.
    func removingExpired(now: Date) -> CredentialIndex {
        var copy = CredentialIndex()
        copy.byUsername = byUsername.compactMapValues { entries in
            let kept = entries.filter { $0.expiresAt > now }
            return kept.isEmpty ? nil : kept
        }
        return copy
    }

    /// Credentials with `expiresAt > now`.
    func activeCount(now: Date) -> Int {
        byUsername.values.reduce(0) { count, entries in
            count + entries.count(where: { $0.expiresAt > now })
        }
    }
}

/// The index behind a lock, shared by the store and its group-commit writer.
final class LockedIndex: Sendable {
    private let mutex: Mutex<CredentialIndex>

    init(_ index: CredentialIndex) {
        mutex = Mutex(index)
    }

    func withLock<Result>(_ body: (inout CredentialIndex) throws -> Result) rethrows -> Result {
        try mutex.withLock { try body(&$0) }
    }
}
