import Logging
import PostgresNIO

/// The PostgreSQL schema, in the schema `mqtt_authd`, versioned by `mqtt_authd.schema_version`.
/// Migrations run at start under a transaction-scoped advisory lock, so that daemons starting
/// at once migrate exactly once: the first takes the lock and migrates, the others wait and then
/// find the schema current. Never edit a migration that has shipped; add the next one.
///
/// - `identities`: the permanent binding of (provider, subject) to its username. UNIQUE
///   username is what keeps two identities from ever sharing a name, whichever daemon binds
///   them. `revision` grows with every change of the user's credentials, so that a daemon
///   never replaces what it knows of a user with an older read.
/// - `credentials`: one row per credential, holding only the SHA-256 of its password. Ids
///   grow; within one user they grow in commit order, because `issue_credential` locks the
///   identity's row first.
/// - `issue_credential(...)`: what one exchange writes (docs/architecture.md §4 and §9): bind
///   the identity (trying the candidate names in order; a name another identity took first is
///   skipped by the UNIQUE constraint, not by a lock in some process), lock it, insert the
///   credential, drop expired and over-the-cap ones, and announce the user on the channel
///   `mqtt_authd`. It returns no row when every candidate is taken, and then the caller tries
///   the next candidates.
///
/// Times are whole Unix seconds (bigint, UTC), as in the SQLite store.
enum PostgresSchema {
    /// The lock key of migrations: "mqttauth" in ASCII.
    static let migrationLock: Int64 = 0x6d71_7474_6175_7468
    /// The channel that carries changes to every daemon: `u<revision>:<username>` when a
    /// user's credentials changed, `p<unix seconds>` when credentials expiring by then were purged.
    static let channel = "mqtt_authd"

    /// Migration n (1-based) is `migrations[n - 1]`, a list of statements.
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE mqtt_authd.identities (
                provider   text   NOT NULL,
                subject    text   NOT NULL,
                username   text   NOT NULL UNIQUE,
                revision   bigint NOT NULL DEFAULT 0,
                created_at bigint NOT NULL,
                PRIMARY KEY (provider, subject)
            )
            """,
            """
            CREATE TABLE mqtt_authd.credentials (
                id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                username      text   NOT NULL REFERENCES mqtt_authd.identities (username),
                password_hash bytea  NOT NULL CHECK (octet_length(password_hash) = 32),
                expires_at    bigint NOT NULL,
                created_at    bigint NOT NULL
            )
            """,
            "CREATE INDEX credentials_by_username ON mqtt_authd.credentials (username, id)",
            "CREATE INDEX credentials_by_expiry ON mqtt_authd.credentials (expires_at)",
            """
            CREATE FUNCTION mqtt_authd.issue_credential(
                p_provider text, p_subject text, p_candidates text[], p_hash bytea,
                p_expires bigint, p_now bigint, p_max integer)
            RETURNS TABLE (o_username text, o_new boolean, o_dropped integer, o_revision bigint,
                           o_id bigint, o_hash bytea, o_expires bigint)
            LANGUAGE plpgsql AS $$
            DECLARE
                v_username text;
                v_new boolean := false;
                v_dropped integer := 0;
                v_count integer;
                v_revision bigint;
                v_candidate text;
            BEGIN
                SELECT i.username INTO v_username FROM mqtt_authd.identities i
                    WHERE i.provider = p_provider AND i.subject = p_subject FOR UPDATE;
                IF v_username IS NULL THEN
                    FOREACH v_candidate IN ARRAY p_candidates LOOP
                        INSERT INTO mqtt_authd.identities (provider, subject, username, created_at)
                            VALUES (p_provider, p_subject, v_candidate, p_now) ON CONFLICT DO NOTHING;
                        GET DIAGNOSTICS v_count = ROW_COUNT;
                        IF v_count = 1 THEN
                            v_username := v_candidate;
                            v_new := true;
                            EXIT;
                        END IF;
                        -- The conflict may be this very identity, bound by another daemon meanwhile.
                        SELECT i.username INTO v_username FROM mqtt_authd.identities i
                            WHERE i.provider = p_provider AND i.subject = p_subject FOR UPDATE;
                        EXIT WHEN v_username IS NOT NULL;
                    END LOOP;
                    IF v_username IS NULL THEN
                        RETURN;
                    END IF;
                END IF;
                UPDATE mqtt_authd.identities i SET revision = i.revision + 1
                    WHERE i.provider = p_provider AND i.subject = p_subject
                    RETURNING i.revision INTO v_revision;
                INSERT INTO mqtt_authd.credentials (username, password_hash, expires_at, created_at)
                    VALUES (v_username, p_hash, p_expires, p_now);
                DELETE FROM mqtt_authd.credentials c WHERE c.username = v_username AND c.expires_at <= p_now;
                GET DIAGNOSTICS v_count = ROW_COUNT;
                v_dropped := v_count;
                DELETE FROM mqtt_authd.credentials c WHERE c.username = v_username AND c.id NOT IN (
                    SELECT k.id FROM mqtt_authd.credentials k WHERE k.username = v_username
                    ORDER BY k.id DESC LIMIT p_max);
                GET DIAGNOSTICS v_count = ROW_COUNT;
                v_dropped := v_dropped + v_count;
                PERFORM pg_notify('mqtt_authd', 'u' || v_revision || ':' || v_username);
                RETURN QUERY SELECT v_username, v_new, v_dropped, v_revision, c.id, c.password_hash, c.expires_at
                    FROM mqtt_authd.credentials c WHERE c.username = v_username ORDER BY c.id;
            END
            $$
            """,
        ],
    ]

    /// The newest version this build knows.
    static var currentVersion: Int { migrations.count }

    /// Brings the schema to `currentVersion` on `connection`, under the advisory lock.
    ///
    /// - Throws: `PostgresStoreError.schemaTooNew` when the database was migrated by a newer
    ///   mqtt-authd: this one refuses to run on a schema it does not know.
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
            try await connection.query("CREATE SCHEMA IF NOT EXISTS mqtt_authd", logger: logger)
            try await connection.query("CREATE TABLE IF NOT EXISTS mqtt_authd.schema_version (version integer NOT NULL)", logger: logger)
            var version = 0
            for try await found in try await connection.query("SELECT max(version) FROM mqtt_authd.schema_version", logger: logger).decode(Int?.self) {
                version = found ?? 0
            }
            guard version <= currentVersion else {
                throw PostgresStoreError.schemaTooNew(found: version, known: currentVersion)
            }
            guard version < currentVersion else { return }
            for (offset, statements) in migrations.enumerated().dropFirst(version) {
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                let applied = offset + 1
                try await connection.query("INSERT INTO mqtt_authd.schema_version (version) VALUES (\(applied))", logger: logger)
                logger.notice("migrated the credential database", metadata: ["database.schema_version": "\(applied)"])
            }
        }
    }
}
