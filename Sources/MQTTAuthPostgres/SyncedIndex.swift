import Foundation
import MQTTAuthCore
import MQTTAuthStore

/// A daemon's memory of a shared store: the credentials of each user it knows, with the
/// user's `revision` (which grows with every change of the user's credentials in the database)
/// and the local `generation` at which it was last written.
///
/// Invariant: a user's credentials are only ever replaced by a read of an equal or newer
/// revision, so reads that finish out of order (a refetch racing this daemon's own exchange)
/// never bring back an older state.
struct SyncedIndex: Sendable {
    struct User: Sendable {
        var revision: Int64
        var generation: UInt64
    }

    private(set) var credentials = CredentialIndex()
    private(set) var users: [String: User] = [:]
    /// Grows with every `apply`.
    private(set) var generation: UInt64 = 0

    /// What one read says of a user: at `revision`, these unexpired credentials, oldest first.
    struct Read: Sendable {
        var revision: Int64
        var entries: [CredentialIndex.Entry]
        var attributes: UserAttributes = .none
        /// Until when the user is blocked, if they are.
        var blockedUntil: Date?
    }

    func revision(of username: String) -> Int64? {
        users[username]?.revision
    }

    mutating func apply(_ read: Read, for username: String) {
        if let known = users[username], known.revision > read.revision { return }
        generation += 1
        credentials.replace(username, with: read.entries)
        credentials.setAttributes(read.attributes, for: username)
        credentials.setBlock(read.blockedUntil, for: username)
        users[username] = User(revision: read.revision, generation: generation)
    }

    /// Applies this daemon's own revocation: the credentials `removed` go, the block (if any)
    /// holds, and the user is at `revision`. Removing can only make memory stricter, so it is
    /// applied whatever revision memory holds; the revision moves only from the one before.
    /// Memory at `revision` or newer already holds the change (see `applyChange`); at an
    /// older one, the caller refetches the user, and this returns false.
    mutating func applyRevocation(for username: String, revision: Int64, removed: [Int64], blockedUntil: Date?) -> Bool {
        var entries = credentials.entries(for: username)
        entries.removeAll { removed.contains($0.id) }
        generation += 1
        credentials.replace(username, with: entries)
        if let blockedUntil { credentials.setBlock(blockedUntil, for: username) }
        guard let known = users[username]?.revision else { return false }
        if known >= revision { return true }
        guard known == revision - 1 else { return false }
        users[username] = User(revision: revision, generation: generation)
        return true
    }

    /// Applies one exchange's change: `added` joins, `removed` ids go, and the user is at
    /// `revision`. Only possible when memory holds the revision just before (or the identity
    /// is new, with nothing before it). When memory already holds `revision` or a newer one,
    /// a read taken after the change committed got there first and holds it (or what later
    /// changes made of it): nothing to do. Otherwise returns false and changes nothing, and the
    /// caller refetches the user.
    mutating func applyChange(
        for username: String, revision: Int64, added: CredentialIndex.Entry, removed: [Int64], attributes: UserAttributes, isNew: Bool
    ) -> Bool {
        let known = users[username]?.revision
        if let known, known >= revision { return true }
        guard known == revision - 1 || (isNew && known == nil) else { return false }
        var entries = credentials.entries(for: username)
        if !removed.isEmpty { entries.removeAll { removed.contains($0.id) } }
        entries.append(added)
        generation += 1
        credentials.replace(username, with: entries)
        credentials.setAttributes(attributes, for: username)
        users[username] = User(revision: revision, generation: generation)
        return true
    }

    /// Sets what this daemon itself just wrote of a user's attributes, ahead of the change
    /// notice whose refetch (at the new revision) confirms it.
    mutating func setAttributes(_ attributes: UserAttributes, for username: String) {
        credentials.setAttributes(attributes, for: username)
    }

    /// Forgets credentials with `expiresAt <= now`: after a purge, on any daemon.
    mutating func removeExpired(now: Date) {
        credentials = credentials.removingExpired(now: now)
    }

    /// A full read of the database (`snapshot`), taken while this index went on changing:
    /// users written after `generation` (when the read began) keep what they have unless the
    /// read is at least as new; everyone else gets exactly what the read says, and a user the
    /// read does not hold had no unexpired credential when it was taken.
    func merged(with snapshot: [String: Read], since generation: UInt64) -> SyncedIndex {
        var result = SyncedIndex()
        result.generation = self.generation
        for (username, read) in snapshot {
            result.credentials.replace(username, with: read.entries)
            result.credentials.setAttributes(read.attributes, for: username)
            result.credentials.setBlock(read.blockedUntil, for: username)
            result.users[username] = User(revision: read.revision, generation: 0)
        }
        for (username, user) in users where user.generation > generation {
            if let read = snapshot[username], read.revision >= user.revision { continue }
            result.credentials.replace(username, with: credentials.entries(for: username))
            result.credentials.setAttributes(credentials.attributes(for: username), for: username)
            result.credentials.setBlock(credentials.blockedUntil(username, now: .distantPast), for: username)
            result.users[username] = user
        }
        return result
    }
}
