import Foundation
import GRDB
import Logging
import MQTTAuthCore
import Synchronization

extension SQLiteCredentialStore {
    /// Issues a new credential for the identity (provider, subject) and returns it, plaintext
    /// password included, only after its transaction has committed (see Durability on
    /// `SQLiteCredentialStore`); then the index knows it too.
    ///
    /// In one transaction:
    /// 1. The identity's username is its stored binding if it has one (a later change of the
    ///    derived `username`, e.g. a new email, does not rename a user). Otherwise `username` if
    ///    no identity holds it, else `CredentialRules.disambiguated` (attempt 0, 1, … until free),
    ///    and the binding is stored.
    /// 2. A credential with a new 256-bit password is inserted; only its SHA-256 is stored.
    /// 3. The user's expired credentials are deleted, and of the rest only the newest
    ///    `maxPerUser` are kept (the oldest are dropped; the new one always stays).
    ///
    /// - Parameters:
    ///   - username: the derived name (`CredentialRules.username`); it must be a valid username.
    ///   - expiresAt: rounded down to a whole second; it must still be after `now`.
    ///   - maxPerUser: at least 1.
    /// - Throws: `CredentialError` for an invalid `username`; `CredentialStoreError` for an
    ///   expiry not after `now`; GRDB's `DatabaseError` (or `CancellationError`) when the write
    ///   fails, in which case nothing was stored.
    package func issue(
        provider: String,
        subject: String,
        username: String,
        expiresAt: Date,
        maxPerUser: Int,
        attributes: UserAttributes,
        origin: CredentialOrigin,
        now: Date
    ) async throws -> IssuedCredential {
        let new = try NewCredential(username: username, expiresAt: expiresAt, maxPerUser: maxPerUser, now: now)
        let request = IssueRequest(
            provider: provider, subject: subject, username: username,
            hash: new.hash, expires: new.expires, now: now, maxPerUser: maxPerUser, attributes: attributes,
            tokenID: new.tokenID, origin: origin
        )
        let outcome = try await issues.submit(request)
        logger.debug("issued a credential", metadata: [
            "credential.username": "\(outcome.username)",
            "credential.expires_at": "\(new.expiresAt.formatted(.iso8601))",
            "credential.active_for_user": "\(outcome.active.count)",
            "credential.dropped": "\(outcome.dropped)",
            "identity.provider": "\(provider)",
            "identity.new": "\(outcome.newIdentity)",
        ])
        return IssuedCredential(username: outcome.username, password: new.password, expiresAt: new.expiresAt,
                                tokenID: new.tokenID, issuedAt: UnixTime.date(UnixTime.seconds(now)))
    }
}

/// What `issue` writes, in either store. Holds the hash, never the password.
package struct IssueRequest: Sendable {
    package let provider: String
    package let subject: String
    /// The derived name; the candidates are it and its `CredentialRules.disambiguated` forms.
    package let username: String
    package let hash: [UInt8]
    /// Whole Unix seconds.
    package let expires: Int64
    package let now: Date
    package let maxPerUser: Int
    /// Replace the user's attributes.
    package let attributes: UserAttributes
    package let tokenID: String
    package let origin: CredentialOrigin

    package init(
        provider: String, subject: String, username: String, hash: [UInt8], expires: Int64, now: Date, maxPerUser: Int,
        attributes: UserAttributes = .none, tokenID: String = CredentialRules.newTokenID(), origin: CredentialOrigin? = nil
    ) {
        self.tokenID = tokenID
        self.origin = origin ?? CredentialOrigin(apiKey: "", sessionStartedAt: now)
        self.provider = provider
        self.subject = subject
        self.username = username
        self.hash = hash
        self.expires = expires
        self.now = now
        self.maxPerUser = maxPerUser
        self.attributes = attributes
    }
}

/// What one `issue` transaction did.
struct IssueOutcome: Sendable {
    /// The username bound to the identity.
    let username: String
    /// Whether this transaction created the binding.
    let newIdentity: Bool
    /// The user's credentials after the transaction, oldest first: the new index entries.
    let active: [CredentialIndex.Entry]
    /// Credentials deleted: expired ones and those over the cap.
    let dropped: Int
}

extension SQLiteCredentialStore {
    /// Records a batch of requests in one transaction (see `IssueQueue`), each in a savepoint
    /// of its own so that one failing request (no free name) fails alone. After the commit the
    /// index learns every recorded credential; if the commit fails, every request fails and
    /// nothing is stored.
    static func record(batch: [IssueRequest], in database: DatabaseQueue, index: LockedIndex) async -> [Result<IssueOutcome, any Error>] {
        do {
            return try await database.writeWithoutTransaction { db in
                let results = try db.committed {
                    batch.map { request in
                        Result { () throws -> IssueOutcome in
                            var outcome: IssueOutcome?
                            try db.inSavepoint {
                                outcome = try record(request, in: db, index: index)
                                return .commit
                            }
                            return outcome!
                        }
                    }
                }
                // Committed: only now may `authenticate` see them.
                index.withLock { index in
                    for (request, result) in zip(batch, results) {
                        guard case .success(let outcome) = result else { continue }
                        index.replace(outcome.username, with: outcome.active)
                        index.setAttributes(request.attributes, for: outcome.username)
                    }
                }
                return results
            }
        } catch {
            return batch.map { _ in .failure(error) }
        }
    }

    /// Most candidate names tried for one identity before giving up.
    static let maxNameAttempts = 100

    /// Steps 1–3 of `issue`, inside its transaction.
    static func record(_ request: IssueRequest, in db: Database, index: LockedIndex) throws -> IssueOutcome {
        let created = UnixTime.seconds(request.now)
        let (username, isNew) = try bind(provider: request.provider, subject: request.subject, username: request.username,
                                         created: created, in: db)
        try refuseBlocked(username, at: request.now, index: index)
        if let replacing = request.origin.replacing {
            let stored = try Bool.fetchOne(db.cachedStatement(sql: """
                SELECT EXISTS (SELECT 1 FROM credentials WHERE token_id = ? AND username = ? AND expires_at > ?)
                """), arguments: [replacing, username, created])
            guard stored == true else { throw IssueRefusal.replacedCredentialGone }
        }
        try db.cachedStatement(sql: "UPDATE identities SET attributes = ? WHERE username = ?")
            .execute(arguments: [request.attributes.storedText, username])
        try db.cachedStatement(sql: """
            INSERT INTO credentials (username, password_hash, expires_at, created_at, token_id, api_key, session_started_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [username, Data(request.hash), request.expires, created, request.tokenID,
                                      request.origin.apiKey, UnixTime.seconds(request.origin.sessionStartedAt)])
        try db.cachedStatement(sql: "DELETE FROM credentials WHERE username = ? AND expires_at <= ?")
            .execute(arguments: [username, request.now.timeIntervalSince1970])
        var dropped = db.changesCount
        try db.cachedStatement(sql: """
            DELETE FROM credentials WHERE username = ? AND id NOT IN (
                SELECT id FROM credentials WHERE username = ? ORDER BY id DESC LIMIT ?)
            """).execute(arguments: [username, username, request.maxPerUser])
        dropped += db.changesCount
        let active = try entries(of: username, in: db)
        return IssueOutcome(username: username, newIdentity: isNew, active: active, dropped: dropped)
    }

    /// Throws `IssueRefusal.blocked` while `username` is blocked (`terminate`). Memory decides
    /// without a query: it is called on the writer queue, and only that queue changes the
    /// index's blocks, right after each commit, so memory holds exactly what is committed.
    static func refuseBlocked(_ username: String, at now: Date, index: LockedIndex) throws {
        if let until = index.withLock({ $0.blockedUntil(username, now: now) }) {
            throw IssueRefusal.blocked(until: until)
        }
    }

    /// The identity's bound username, binding a free one first if it has none.
    static func bind(provider: String, subject: String, username: String, created: Int64, in db: Database) throws -> (String, Bool) {
        if let bound = try String.fetchOne(db.cachedStatement(sql: "SELECT username FROM identities WHERE provider = ? AND subject = ?"),
                                           arguments: [provider, subject]) {
            return (bound, false)
        }
        var candidate = username
        var attempt = 0
        while try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM identities WHERE username = ?)"), arguments: [candidate]) == true {
            guard attempt < maxNameAttempts else { throw CredentialStoreError.noFreeUsername }
            candidate = CredentialRules.disambiguated(username, provider: provider, subject: subject, attempt: attempt)
            attempt += 1
        }
        try db.cachedStatement(sql: "INSERT INTO identities (provider, subject, username, created_at) VALUES (?, ?, ?, ?)")
            .execute(arguments: [provider, subject, candidate, created])
        return (candidate, true)
    }
}

extension SQLiteCredentialStore {
    /// The username bound to (provider, subject), binding `username` (or its first free
    /// disambiguated form) when the identity has none yet: what `issue` does first, without a
    /// credential. A token used as the MQTT password is bound this way (docs/architecture.md §4).
    ///
    /// - Throws: `CredentialError` for an invalid `username`; the database's error when the
    ///   binding cannot be read or written.
    package func bindIdentity(provider: String, subject: String, username: String, attributes: UserAttributes, now: Date) async throws -> String {
        try CredentialRules.validateUsername(username)
        let created = UnixTime.seconds(now)
        let text = attributes.storedText
        return try await database.writeWithoutTransaction { [index] db in
            let bound = try db.committed {
                let bound = try Self.bind(provider: provider, subject: subject, username: username, created: created, in: db).0
                try Self.refuseBlocked(bound, at: now, index: index)
                try db.cachedStatement(sql: "UPDATE identities SET attributes = ? WHERE username = ? AND attributes <> ?")
                    .execute(arguments: [text, bound, text])
                return bound
            }
            // Committed, and still on the serial writer queue: memory follows commit order.
            index.withLock { $0.setAttributes(attributes, for: bound) }
            return bound
        }
    }

    package func attributes(of username: String) -> UserAttributes {
        index.withLock { $0.attributes(for: username) }
    }
}
