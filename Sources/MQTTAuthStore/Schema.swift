import GRDB

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
        return migrator
    }
}
