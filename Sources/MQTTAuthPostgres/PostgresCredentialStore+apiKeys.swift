import Foundation
import Logging
import MQTTAuthCore
import MQTTAuthStore
import NIOCore
import PostgresNIO
import Synchronization

/// Stored API keys on the shared database (README "Keys in the store", docs/architecture.md
/// "Where state lives"). A create or a revocation announces `k<name>` on the change feed in its
/// own transaction; after the commit this daemon reads the keys again, and every other daemon
/// does when the notice reaches it (and at every full read), so a revoked key is refused
/// everywhere within moments.
extension PostgresCredentialStore {
    package func createAPIKey(_ key: NewAPIKey) async throws -> StoredAPIKey {
        let row = key.stored
        let created = try await keyWrite("creating an API key", name: row.name) { [self] connection in
            let rows = try await connection.query("""
                INSERT INTO mqtt_authd.api_keys (name, kind, key_sha256, created_at, expires_at)
                VALUES (\(row.name), \(row.kind.rawValue), \(ByteBuffer(bytes: row.sha256)), \(UnixTime.seconds(row.createdAt)),
                        \(row.expiresAt.map(UnixTime.seconds)))
                ON CONFLICT (name) DO NOTHING RETURNING name
                """, logger: logger)
            var inserted = false
            for try await _ in rows.decode(String.self) { inserted = true }
            return inserted
        }
        guard created else { throw APIKeyRefusal.nameTaken }
        logger.info("created an API key", metadata: ["api_key": "\(row.name)", "api_key.kind": "\(row.kind.rawValue)"])
        return row
    }

    package func listAPIKeys() async throws -> [StoredAPIKey] {
        do {
            let keys = try await withDeadline(lookupTimeout, "reading the API keys") { [self] in
                try await client.withConnection { connection in try await Self.readAPIKeys(connection, logger: logger) }
            }
            markReachable()
            return keys
        } catch {
            noteFailure(error, "reading the API keys")
            throw CredentialStoreError("cannot read the API keys: \(PostgresStoreError.reason(error))")
        }
    }

    package func revokeAPIKey(name: String, now: Date) async throws -> Bool {
        let revoked = try await keyWrite("revoking an API key", name: name) { [self] connection in
            let rows = try await connection.query("""
                UPDATE mqtt_authd.api_keys SET revoked_at = \(UnixTime.seconds(now))
                WHERE name = \(name) AND revoked_at IS NULL RETURNING name
                """, logger: logger)
            var changed = false
            for try await _ in rows.decode(String.self) { changed = true }
            return changed
        }
        if revoked { logger.info("revoked an API key", metadata: ["api_key": "\(name)"]) }
        return revoked
    }

    package func flushAPIKeyUses() async throws -> Int {
        do {
            return try await apiKeys.flush { [self] uses in
                try await withDeadline(writeTimeout, "recording API key uses") { [self] in
                    let names = Array(uses.keys)
                    let minutes = names.map { uses[$0]! }
                    try await client.query("""
                        UPDATE mqtt_authd.api_keys k SET last_used_at = greatest(coalesce(k.last_used_at, 0), u.minute)
                        FROM unnest(\(names)::text[], \(minutes)::bigint[]) AS u(name, minute) WHERE k.name = u.name
                        """, logger: logger)
                }
            }
        } catch {
            noteFailure(error, "recording API key uses")
            throw CredentialStoreError("cannot record API key uses: \(PostgresStoreError.reason(error))")
        }
    }

    /// The change feed brings other daemons' changes (`handle`): nothing to poll.
    package func followAPIKeys() async throws {}

    /// Reads every key into memory, unless a read that started later was applied first.
    func reloadAPIKeys() async throws {
        let ticket = apiKeys.ticket()
        let keys = try await withDeadline(lookupTimeout, "reading the API keys") { [self] in
            try await client.withConnection { connection in try await Self.readAPIKeys(connection, logger: logger) }
        }
        apiKeys.replace(with: keys, ticket: ticket)
    }

    /// Runs `body` in one transaction within `writeTimeout`, announcing `k<name>` when it
    /// changed something; after the commit, memory reads the keys again.
    private func keyWrite(_ what: String, name: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> Bool) async throws -> Bool {
        let changed: Bool
        do {
            changed = try await withDeadline(writeTimeout, what) { [self] in
                try await client.withTransaction(logger: logger) { connection in
                    guard try await body(connection) else { return false }
                    try await connection.query("SELECT pg_notify(\(PostgresSchema.channel), \("k\(name)"))", logger: logger)
                    return true
                }
            }
            markReachable()
        } catch {
            noteFailure(error, what)
            throw CredentialStoreError("cannot change the API keys: \(PostgresStoreError.reason(error))")
        }
        if changed {
            do {
                try await reloadAPIKeys()
            } catch {
                // Committed, but memory could not read it back: the feed's notice or the next
                // full read will.
                keysChanged.store(true, ordering: .relaxed)
                wakeRefetch.yield()
            }
        }
        return changed
    }

    static func readAPIKeys(_ connection: PostgresConnection, logger: Logger) async throws -> [StoredAPIKey] {
        let rows = try await connection.query("""
            SELECT name, kind, key_sha256, created_at, expires_at, revoked_at, last_used_at FROM mqtt_authd.api_keys ORDER BY name
            """, logger: logger)
        var keys: [StoredAPIKey] = []
        for try await (name, kind, hash, created, expires, revoked, used)
            in rows.decode((String, String, ByteBuffer, Int64, Int64?, Int64?, Int64?).self) {
            keys.append(StoredAPIKey(
                name: name, kind: StoredAPIKey.Kind(rawValue: kind) ?? .publishable, sha256: Array(hash.readableBytesView),
                createdAt: UnixTime.date(created), expiresAt: expires.map(UnixTime.date),
                revokedAt: revoked.map(UnixTime.date), lastUsedAt: used.map(UnixTime.date)
            ))
        }
        return keys
    }
}
