import Foundation
import GRDB
import MQTTAuthCore

/// What the admin API reads (README "Admin API"): a user's credentials, live and revoked, and
/// the store's counts. Reads only; never a password hash.
extension SQLiteCredentialStore {
    package func credentials(of username: String, now: Date) async throws -> [CredentialListing]? {
        try await database.read { db -> [CredentialListing]? in
            guard let provider = try String.fetchOne(db, sql: "SELECT provider FROM identities WHERE username = ?", arguments: [username])
            else { return nil }
            let seconds = UnixTime.seconds(now)
            let rows = try Row.fetchAll(db, sql: """
                SELECT token_id, created_at AS issued_at, expires_at, NULL AS revoked_at
                    FROM credentials WHERE username = ? AND expires_at > ?
                UNION ALL
                SELECT token_id, issued_at, expires_at, revoked_at
                    FROM revocations WHERE username = ? AND expires_at > ?
                """, arguments: [username, seconds, username, seconds])
            return CredentialListing.inOrder(rows.map { row in
                CredentialListing(
                    tokenID: row["token_id"], provider: provider, issuedAt: UnixTime.date(row["issued_at"]),
                    expiresAt: UnixTime.date(row["expires_at"]), revokedAt: (row["revoked_at"] as Int64?).map(UnixTime.date)
                )
            })
        }
    }

    package func counts(now: Date) async throws -> StoreCounts {
        try await database.read { db in
            let active = try Int.fetchOne(db, sql: "SELECT count(*) FROM credentials WHERE expires_at > ?", arguments: [UnixTime.seconds(now)]) ?? 0
            let users = try Int.fetchOne(db, sql: "SELECT count(*) FROM identities") ?? 0
            return StoreCounts(activeCredentials: active, users: users)
        }
    }
}
