import Foundation
import GRDB
import Logging
import MQTTAuthCore
import Synchronization

/// Stored API keys on SQLite (README "Keys in the store"). Writes commit on the writer queue and
/// then re-read the table into memory; a change committed by another process (`mqtt-authd keys`
/// beside a running daemon) is noticed by `followAPIKeys`, through `PRAGMA data_version`.
extension SQLiteCredentialStore {
    package func createAPIKey(_ key: NewAPIKey) async throws -> StoredAPIKey {
        let row = key.stored
        let created = try await database.writeWithoutTransaction { [apiKeys] db -> Bool in
            let inserted: Bool = try db.committed {
                try db.execute(sql: """
                    INSERT INTO api_keys (name, kind, key_sha256, created_at, expires_at, revoked_at, last_used_at)
                    VALUES (?, ?, ?, ?, ?, NULL, NULL) ON CONFLICT (name) DO NOTHING
                    """, arguments: [row.name, row.kind.rawValue, Data(row.sha256), UnixTime.seconds(row.createdAt),
                                     row.expiresAt.map(UnixTime.seconds)])
                return db.changesCount == 1
            }
            let ticket = apiKeys.ticket()
            apiKeys.replace(with: try Self.readAPIKeys(db), ticket: ticket)
            return inserted
        }
        guard created else { throw APIKeyRefusal.nameTaken }
        logger.info("created an API key", metadata: ["api_key": "\(row.name)", "api_key.kind": "\(row.kind.rawValue)"])
        return row
    }

    package func listAPIKeys() async throws -> [StoredAPIKey] {
        try await database.read { db in try Self.readAPIKeys(db) }
    }

    package func revokeAPIKey(name: String, now: Date) async throws -> Bool {
        let revoked = try await database.writeWithoutTransaction { [apiKeys] db -> Bool in
            let changed: Bool = try db.committed {
                try db.execute(sql: "UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                               arguments: [UnixTime.seconds(now), name])
                return db.changesCount == 1
            }
            let ticket = apiKeys.ticket()
            apiKeys.replace(with: try Self.readAPIKeys(db), ticket: ticket)
            return changed
        }
        if revoked { logger.info("revoked an API key", metadata: ["api_key": "\(name)"]) }
        return revoked
    }

    package func flushAPIKeyUses() async throws -> Int {
        try await apiKeys.flush { [database] uses in
            try await database.write { db in
                for (name, minute) in uses {
                    try db.execute(sql: """
                        UPDATE api_keys SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE name = ?
                        """, arguments: [minute, name])
                }
            }
        }
    }

    package func followAPIKeys() async throws {
        let ticket = apiKeys.ticket()
        let known = keysDataVersion.withLock { $0 }
        let read = try await database.read { db -> (Int64, [StoredAPIKey])? in
            let version = try Self.dataVersion(db)
            guard version != known else { return nil }
            return (version, try Self.readAPIKeys(db))
        }
        guard let (version, keys) = read else { return }
        keysDataVersion.withLock { $0 = version }
        apiKeys.replace(with: keys, ticket: ticket)
    }

    static func readAPIKeys(_ db: Database) throws -> [StoredAPIKey] {
        try Row.fetchAll(db, sql: """
            SELECT name, kind, key_sha256, created_at, expires_at, revoked_at, last_used_at FROM api_keys ORDER BY name
            """).map { row in
            let hash: Data = row["key_sha256"]
            let expires: Int64? = row["expires_at"]
            let revoked: Int64? = row["revoked_at"]
            let used: Int64? = row["last_used_at"]
            return StoredAPIKey(
                name: row["name"], kind: StoredAPIKey.Kind(rawValue: row["kind"]) ?? .publishable, sha256: Array(hash),
                createdAt: UnixTime.date(row["created_at"]), expiresAt: expires.map(UnixTime.date),
                revokedAt: revoked.map(UnixTime.date), lastUsedAt: used.map(UnixTime.date)
            )
        }
    }

    static func dataVersion(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? 0
    }
}
