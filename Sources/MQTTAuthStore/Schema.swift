import GRDB
import MQTTAuthCore

/// The database schema, created and upgraded by GRDB's `DatabaseMigrator` (one migration per
/// schema version; never edit a migration that has shipped, add the next one).
///
/// - `identities`: the permanent binding of an identity (provider, sub) to its username. The
///   UNIQUE username is what guarantees two identities never share a name. Rows are never
///   deleted, so a username is never handed to another identity later.
///   `attributes` holds the user's attributes from the latest exchange (`UserAttributes.storedText`).
/// - `credentials`: one row per issued credential, holding only the SHA-256 of its password.
///   `id` is AUTOINCREMENT, so ids are never reused and a larger id is always a newer credential.
///
/// - v3 (docs/architecture.md §4.9–4.11): each credential's `token_id` (opaque, unique), the
///   `api_key` whose exchange issued it and the `session_started_at` of its refresh chain;
///   `revocations`, the revoked credentials until their own expiry, numbered by `seq` (the
///   cursor of the plugin's revocation feed); `user_blocks`, users refused new credentials
///   until `until`.
/// - v4 (README "Keys in the store"): `api_keys`, the keys created by `mqtt-authd keys` or the
///   admin API: name (unique, never reused), kind, the SHA-256 of the key (never the key),
///   creation, optional expiry and revocation, and the last use in whole minutes.
///
/// Times (`expires_at`, `created_at`) are whole Unix seconds (INTEGER, UTC). A credential is
/// active while `expires_at > now`.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 identities and credentials") { db in
            try db.execute(sql: """
                CREATE TABLE identities (
                    provider   TEXT    NOT NULL,
                    subject    TEXT    NOT NULL,
                    username   TEXT    NOT NULL UNIQUE,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (provider, subject)
                );
                CREATE TABLE credentials (
                    id            INTEGER PRIMARY KEY AUTOINCREMENT,
                    username      TEXT    NOT NULL REFERENCES identities(username),
                    password_hash BLOB    NOT NULL CHECK (length(password_hash) = 32),
                    expires_at    INTEGER NOT NULL,
                    created_at    INTEGER NOT NULL
                );
                CREATE INDEX credentials_by_username ON credentials(username, id);
                CREATE INDEX credentials_by_expiry ON credentials(expires_at);
                """)
        }
        migrator.registerMigration("v2 user attributes") { db in
            // `UserAttributes.storedText`: the user's attributes from the latest exchange.
            try db.execute(sql: "ALTER TABLE identities ADD COLUMN attributes TEXT NOT NULL DEFAULT ''")
        }
        migrator.registerMigration("v3 token ids, revocations and blocks") { db in
            try db.execute(sql: """
                ALTER TABLE credentials ADD COLUMN token_id TEXT;
                ALTER TABLE credentials ADD COLUMN api_key TEXT NOT NULL DEFAULT '';
                ALTER TABLE credentials ADD COLUMN session_started_at INTEGER NOT NULL DEFAULT 0;
                UPDATE credentials SET session_started_at = created_at;
                """)
            // Credentials issued before v3 get ids of the same shape as new ones.
            for id in try Int64.fetchAll(db, sql: "SELECT id FROM credentials") {
                try db.execute(sql: "UPDATE credentials SET token_id = ? WHERE id = ?", arguments: [CredentialRules.newTokenID(), id])
            }
            try db.execute(sql: """
                CREATE UNIQUE INDEX credentials_by_token_id ON credentials(token_id);
                CREATE TABLE revocations (
                    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
                    token_id   TEXT    NOT NULL,
                    username   TEXT    NOT NULL,
                    issued_at  INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    revoked_at INTEGER NOT NULL
                );
                CREATE INDEX revocations_by_expiry ON revocations(expires_at);
                CREATE TABLE user_blocks (
                    username TEXT    PRIMARY KEY,
                    until    INTEGER NOT NULL
                );
                """)
        }
        migrator.registerMigration("v4 api keys") { db in
            try db.execute(sql: """
                CREATE TABLE api_keys (
                    name         TEXT    PRIMARY KEY,
                    kind         TEXT    NOT NULL CHECK (kind IN ('secret', 'publishable')),
                    key_sha256   BLOB    NOT NULL CHECK (length(key_sha256) = 32),
                    created_at   INTEGER NOT NULL,
                    expires_at   INTEGER,
                    revoked_at   INTEGER,
                    last_used_at INTEGER
                );
                """)
        }
        return migrator
    }
}
