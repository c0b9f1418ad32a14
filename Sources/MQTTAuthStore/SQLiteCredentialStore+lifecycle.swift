import Foundation
import GRDB
import Logging
import MQTTAuthCore

/// Refresh reads and revocation (docs/architecture.md §4.9–4.11). Each write commits before the
/// index changes, on the database's serial writer queue, as `issue` does.
extension SQLiteCredentialStore {
    package func credential(tokenID: String, now: Date) async throws -> StoredCredential? {
        try await database.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT c.token_id, c.username, c.password_hash, c.created_at, c.expires_at, c.api_key, c.session_started_at,
                       i.provider, i.subject, i.attributes
                FROM credentials c JOIN identities i ON i.username = c.username
                WHERE c.token_id = ? AND c.expires_at > ?
                """, arguments: [tokenID, UnixTime.seconds(now)]) else { return nil }
            let hash: Data = row["password_hash"]
            return StoredCredential(
                tokenID: row["token_id"], username: row["username"], provider: row["provider"], subject: row["subject"],
                hash: Array(hash), issuedAt: UnixTime.date(row["created_at"]), expiresAt: UnixTime.date(row["expires_at"]),
                apiKey: row["api_key"], sessionStartedAt: UnixTime.date(row["session_started_at"]),
                attributes: UserAttributes(storedText: row["attributes"])
            )
        }
    }

    package func revoke(tokenID: String, issuedBy apiKey: String?, now: Date) async throws -> Bool {
        let seconds = UnixTime.seconds(now)
        let revoked = try await database.writeWithoutTransaction { [index] db -> Bool in
            let changed: (String, [CredentialIndex.Entry])? = try db.committed {
                guard let username = try String.fetchOne(db, sql: """
                    SELECT username FROM credentials WHERE token_id = ? AND expires_at > ? AND (? IS NULL OR api_key = ?)
                    """, arguments: [tokenID, seconds, apiKey, apiKey]) else { return nil }
                try Self.moveToRevocations("token_id = ?", [tokenID], now: seconds, in: db)
                return (username, try Self.entries(of: username, in: db))
            }
            guard let (username, entries) = changed else { return false }
            index.withLock { $0.replace(username, with: entries) }
            return true
        }
        if revoked { logger.info("revoked a credential", metadata: ["credential.token_id": "\(tokenID)"]) }
        return revoked
    }

    package func terminate(username: String, blockUntil: Date?, now: Date) async throws -> Int? {
        let seconds = UnixTime.seconds(now)
        let until = blockUntil.map(UnixTime.seconds)
        let revoked = try await database.writeWithoutTransaction { [index] db -> Int? in
            let result: (Int, Date?)? = try db.committed {
                guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM identities WHERE username = ?)", arguments: [username]) == true
                else { return nil }
                let count = try Self.moveToRevocations("username = ? AND expires_at > ?", [username, seconds], now: seconds, in: db)
                if let until {
                    try db.execute(sql: """
                        INSERT INTO user_blocks (username, until) VALUES (?, ?)
                        ON CONFLICT (username) DO UPDATE SET until = max(until, excluded.until)
                        """, arguments: [username, until])
                }
                let block = try Int64.fetchOne(db, sql: "SELECT until FROM user_blocks WHERE username = ?", arguments: [username])
                return (count, block.map(UnixTime.date))
            }
            guard let (count, block) = result else { return nil }
            index.withLock {
                $0.replace(username, with: [])
                $0.setBlock(block, for: username)
            }
            return count
        }
        if let revoked {
            logger.info("terminated a user", metadata: [
                "credential.username": "\(username)", "credential.revoked": "\(revoked)",
                "credential.blocked_until": "\(blockUntil.map { $0.formatted(.iso8601) } ?? "")",
            ])
        }
        return revoked
    }

    package func revocations(since: Date, now: Date, limit: Int) async throws -> [Revocation] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT token_id, revoked_at FROM revocations WHERE revoked_at >= ? AND expires_at > ? ORDER BY seq LIMIT ?
                """, arguments: [UnixTime.seconds(since), UnixTime.seconds(now), limit])
                .map { Revocation(tokenID: $0["token_id"], revokedAt: UnixTime.date($0["revoked_at"])) }
        }
    }

    package func blockedUntil(_ username: String, now: Date) -> Date? {
        index.withLock { $0.blockedUntil(username, now: now) }
    }

    /// Moves the live credentials matching `condition` to `revocations`; returns how many.
    @discardableResult
    static func moveToRevocations(_ condition: String, _ arguments: [(any DatabaseValueConvertible)?], now: Int64, in db: Database) throws -> Int {
        try db.execute(sql: """
            INSERT INTO revocations (token_id, username, issued_at, expires_at, revoked_at)
            SELECT token_id, username, created_at, expires_at, ? FROM credentials WHERE \(condition) ORDER BY id
            """, arguments: StatementArguments([now] + arguments))
        let count = db.changesCount
        try db.execute(sql: "DELETE FROM credentials WHERE \(condition)", arguments: StatementArguments(arguments))
        return count
    }

    /// The user's credentials as the index holds them, oldest first.
    static func entries(of username: String, in db: Database) throws -> [CredentialIndex.Entry] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT id, password_hash, expires_at, token_id FROM credentials WHERE username = ? ORDER BY id
            """), arguments: [username]).map(entry)
    }
}
