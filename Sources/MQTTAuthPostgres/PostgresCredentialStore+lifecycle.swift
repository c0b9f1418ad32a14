import Foundation
import Logging
import MQTTAuthCore
import MQTTAuthStore
import NIOCore
import PostgresNIO
import Synchronization

/// Refresh reads and revocation on the shared database (docs/architecture.md §4.9–4.11).
/// A revocation first locks the identity's row (bumping its revision), as an exchange does, so
/// that it and a refresh of the same credential are ordered; it commits, then this daemon's
/// memory drops the credentials at once and the other daemons read the user again from the
/// change feed's notice.
extension PostgresCredentialStore {
    package func credential(tokenID: String, now: Date) async throws -> StoredCredential? {
        do {
            let found = try await withDeadline(lookupTimeout, "reading a credential") { [self] () async throws -> StoredCredential? in
                let rows = try await client.query("""
                    SELECT c.token_id, c.username, c.password_hash, c.created_at, c.expires_at, c.api_key, c.session_started_at,
                           i.provider, i.subject, i.attributes
                    FROM mqtt_authd.credentials c JOIN mqtt_authd.identities i ON i.username = c.username
                    WHERE c.token_id = \(tokenID) AND c.expires_at > \(UnixTime.seconds(now))
                    """, logger: logger)
                for try await (token, username, hash, created, expires, apiKey, session, provider, subject, attributes)
                    in rows.decode((String, String, ByteBuffer, Int64, Int64, String, Int64, String, String, String).self) {
                    return StoredCredential(
                        tokenID: token, username: username, provider: provider, subject: subject, hash: Array(hash.readableBytesView),
                        issuedAt: UnixTime.date(created), expiresAt: UnixTime.date(expires), apiKey: apiKey,
                        sessionStartedAt: UnixTime.date(session), attributes: UserAttributes(storedText: attributes)
                    )
                }
                return nil
            }
            markReachable()
            return found
        } catch {
            noteFailure(error, "reading a credential")
            throw CredentialStoreError("cannot read the credential: \(PostgresStoreError.reason(error))")
        }
    }

    package func revoke(tokenID: String, issuedBy apiKey: String?, now: Date) async throws -> Bool {
        let seconds = UnixTime.seconds(now)
        let change = try await revocation("revoking a credential") { [self] connection -> RevocationChange? in
            let locked = try await connection.query("""
                UPDATE mqtt_authd.identities i SET revision = i.revision + 1
                FROM mqtt_authd.credentials c
                WHERE c.token_id = \(tokenID) AND c.expires_at > \(seconds) AND (\(apiKey)::text IS NULL OR c.api_key = \(apiKey))
                    AND i.username = c.username
                RETURNING i.username, i.revision
                """, logger: logger)
            var user: (String, Int64)?
            for try await row in locked.decode((String, Int64).self) { user = row }
            guard let (username, revision) = user else { return nil }
            let removed = try await moveToRevocations(connection, tokenID: tokenID, username: nil, now: seconds)
            return RevocationChange(username: username, revision: revision, removed: removed, blockedUntil: nil)
        }
        if change != nil { logger.info("revoked a credential", metadata: ["credential.token_id": "\(tokenID)"]) }
        return change != nil
    }

    package func terminate(username: String, blockUntil: Date?, now: Date) async throws -> Int? {
        let seconds = UnixTime.seconds(now)
        let until = blockUntil.map(UnixTime.seconds)
        let change = try await revocation("terminating a user") { [self] connection -> RevocationChange? in
            let locked = try await connection.query("""
                UPDATE mqtt_authd.identities SET revision = revision + 1 WHERE username = \(username) RETURNING revision
                """, logger: logger)
            var revision: Int64?
            for try await found in locked.decode(Int64.self) { revision = found }
            guard let revision else { return nil }
            let removed = try await moveToRevocations(connection, tokenID: nil, username: username, now: seconds)
            var block: Date?
            if let until {
                let blocks = try await connection.query("""
                    INSERT INTO mqtt_authd.user_blocks (username, until) VALUES (\(username), \(until))
                    ON CONFLICT (username) DO UPDATE SET until = greatest(mqtt_authd.user_blocks.until, excluded.until)
                    RETURNING until
                    """, logger: logger)
                for try await stored in blocks.decode(Int64.self) { block = UnixTime.date(stored) }
            }
            return RevocationChange(username: username, revision: revision, removed: removed, blockedUntil: block)
        }
        guard let change else { return nil }
        logger.info("terminated a user", metadata: [
            "credential.username": "\(username)", "credential.revoked": "\(change.removed.count)",
            "credential.blocked_until": "\(blockUntil.map { $0.formatted(.iso8601) } ?? "")",
        ])
        return change.removed.count
    }

    package func revocations(since: Date, now: Date, limit: Int) async throws -> [Revocation] {
        do {
            let found = try await withDeadline(lookupTimeout, "reading revocations") { [self] () async throws -> [Revocation] in
                let rows = try await client.query("""
                    SELECT token_id, revoked_at FROM mqtt_authd.revocations
                    WHERE revoked_at >= \(UnixTime.seconds(since)) AND expires_at > \(UnixTime.seconds(now))
                    ORDER BY seq LIMIT \(limit)
                    """, logger: logger)
                var found: [Revocation] = []
                for try await (id, at) in rows.decode((String, Int64).self) {
                    found.append(Revocation(tokenID: id, revokedAt: UnixTime.date(at)))
                }
                return found
            }
            markReachable()
            return found
        } catch {
            noteFailure(error, "reading revocations")
            throw CredentialStoreError("cannot read revocations: \(PostgresStoreError.reason(error))")
        }
    }

    package func blockedUntil(_ username: String, now: Date) -> Date? {
        index.withLock { $0.credentials.blockedUntil(username, now: now) }
    }

    /// What one revocation changed of a user.
    struct RevocationChange: Sendable {
        var username: String
        var revision: Int64
        /// Ids of the credentials it revoked.
        var removed: [Int64]
        var blockedUntil: Date?
    }

    /// Runs `body` in one transaction within `writeTimeout`, announces the user on the change
    /// feed in the same transaction, and after the commit applies the change to memory.
    private func revocation(_ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> RevocationChange?) async throws -> RevocationChange? {
        let change: RevocationChange?
        do {
            change = try await withDeadline(writeTimeout, what) { [self] in
                try await client.withTransaction(logger: logger) { connection in
                    guard let change = try await body(connection) else { return nil }
                    try await connection.query(
                        "SELECT pg_notify(\(PostgresSchema.channel), \("u\(change.revision):\(change.username)"))", logger: logger)
                    return change
                }
            }
            markReachable()
        } catch {
            noteFailure(error, what)
            throw CredentialStoreError("cannot revoke: \(PostgresStoreError.reason(error))")
        }
        guard let change else { return nil }
        let applied = index.withLock {
            $0.applyRevocation(for: change.username, revision: change.revision, removed: change.removed, blockedUntil: change.blockedUntil)
        }
        if !applied {
            pendingUsers.withLock { $0.add(change.username) }
            wakeRefetch.yield()
        }
        return change
    }

    /// Moves live credentials (by `tokenID`, or all of `username`'s) to `revocations`; returns their ids.
    private func moveToRevocations(_ connection: PostgresConnection, tokenID: String?, username: String?, now: Int64) async throws -> [Int64] {
        let rows = try await connection.query("""
            WITH gone AS (
                DELETE FROM mqtt_authd.credentials
                WHERE (\(tokenID)::text IS NOT NULL AND token_id = \(tokenID)) OR (\(username)::text IS NOT NULL AND username = \(username))
                RETURNING id, token_id, username, created_at, expires_at),
            recorded AS (
                INSERT INTO mqtt_authd.revocations (token_id, username, issued_at, expires_at, revoked_at)
                SELECT token_id, username, created_at, expires_at, \(now) FROM gone WHERE expires_at > \(now) ORDER BY id)
            SELECT id FROM gone WHERE expires_at > \(now)
            """, logger: logger)
        var removed: [Int64] = []
        for try await id in rows.decode(Int64.self) { removed.append(id) }
        return removed
    }
}
