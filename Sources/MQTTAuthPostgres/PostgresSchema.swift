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
///   grow; within one user they grow in commit order, because `issue_credentials` locks the
///   identity's row first.
/// - `issue_credentials(...)`: what a batch of exchanges writes, in one statement of one
///   transaction (docs/architecture.md §4 and §9). For each request: lock the identity's row
///   (bumping its revision), or bind it, trying the candidate names in order (a name another
///   identity took first is skipped by the UNIQUE constraint, not by a lock in some process);
///   insert the credential; drop expired and over-the-cap ones; return the new credential's id
///   and the dropped ones' (memory applies them as a change to what it knew at the revision
///   before, or refetches the user).
///   A request whose candidates are all taken gets no row, and the caller sends it again with
///   the next candidates. The users are announced on the channel `mqtt_authd`, one line each.
///
/// - Migration 3 (docs/architecture.md §4.9–4.11): each credential's `token_id`, `api_key` and
///   `session_started_at`; `revocations` (revoked credentials until their expiry, numbered by
///   `seq`) and `user_blocks`; and `issue_credentials` taking each request's token id, API key,
///   chain start and the token id a refresh replaces, and refusing (`o_refused`) a blocked
///   user or a refresh whose credential is gone. Revocation locks the identity's row too, so
///   a refresh and a revocation of its credential never both succeed.
/// - Migration 4 (README "Keys in the store"): `api_keys`, as on SQLite; a change is announced
///   on the channel as `k<name>`.
///
/// Times are whole Unix seconds (bigint, UTC), as in the SQLite store.
enum PostgresSchema {
    /// The lock key of migrations: "mqttauth" in ASCII.
    static let migrationLock: Int64 = 0x6d71_7474_6175_7468
    /// The channel that carries changes to every daemon: lines `u<revision>:<username>` when
    /// users' credentials changed, `p<unix seconds>` when credentials expiring by then were purged,
    /// `k<name>` when a stored API key was created or revoked.
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
            issueFunction(version: 1),
        ],
        [
            // Each user's attributes from the latest exchange (`UserAttributes.storedText`).
            "ALTER TABLE mqtt_authd.identities ADD COLUMN attributes text NOT NULL DEFAULT ''",
            "DROP FUNCTION mqtt_authd.issue_credentials(text[], text[], text[], integer, bytea[], bigint[], bigint[], integer[])",
            issueFunction(version: 2),
        ],
        [
            "ALTER TABLE mqtt_authd.credentials ADD COLUMN token_id text",
            "ALTER TABLE mqtt_authd.credentials ADD COLUMN api_key text NOT NULL DEFAULT ''",
            "ALTER TABLE mqtt_authd.credentials ADD COLUMN session_started_at bigint NOT NULL DEFAULT 0",
            // Ids of the same shape as `CredentialRules.newTokenID()` for credentials issued before.
            """
            UPDATE mqtt_authd.credentials SET session_started_at = created_at,
                token_id = 'tok_' || translate(rtrim(encode(decode(replace(gen_random_uuid()::text, '-', ''), 'hex'), 'base64'), '='), '+/', '-_')
            """,
            "ALTER TABLE mqtt_authd.credentials ALTER COLUMN token_id SET NOT NULL",
            "CREATE UNIQUE INDEX credentials_by_token_id ON mqtt_authd.credentials (token_id)",
            """
            CREATE TABLE mqtt_authd.revocations (
                seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                token_id   text   NOT NULL,
                username   text   NOT NULL,
                issued_at  bigint NOT NULL,
                expires_at bigint NOT NULL,
                revoked_at bigint NOT NULL
            )
            """,
            "CREATE INDEX revocations_by_expiry ON mqtt_authd.revocations (expires_at)",
            "CREATE TABLE mqtt_authd.user_blocks (username text PRIMARY KEY, until bigint NOT NULL)",
            "DROP FUNCTION mqtt_authd.issue_credentials(text[], text[], text[], integer, bytea[], bigint[], bigint[], integer[], text[])",
            issueFunction(version: 3),
        ],
        [
            """
            CREATE TABLE mqtt_authd.api_keys (
                name         text   PRIMARY KEY,
                kind         text   NOT NULL CHECK (kind IN ('secret', 'publishable')),
                key_sha256   bytea  NOT NULL CHECK (octet_length(key_sha256) = 32),
                created_at   bigint NOT NULL,
                expires_at   bigint,
                revoked_at   bigint,
                last_used_at bigint
            )
            """,
        ],
    ]

    /// The text of `issue_credentials` as migration `version` creates it: 1, then 2, which also
    /// takes each request's attributes and stores them on the identity's row, then 3 (see above).
    static func issueFunction(version: Int) -> String {
        let attributes = version >= 2
        let lifecycle = version >= 3
        let setAttributes = attributes ? ", attributes = p_attributes[i]" : ""
        // Migration 3: a blocked user, or a refresh whose credential is gone, gets a row with
        // `o_refused` and no credential (the identity's revision and attributes still change).
        let refusals = lifecycle ? """
                IF v_blocks THEN
                    SELECT b.until INTO v_until FROM mqtt_authd.user_blocks b
                        WHERE b.username = v_username AND b.until > p_nows[i];
                    IF v_until IS NOT NULL THEN
                        o_index := i; o_username := v_username; o_new := v_new; o_revision := v_revision;
                        o_id := NULL; o_dropped := '{}'; o_refused := 'blocked:' || v_until;
                        RETURN NEXT;
                        CONTINUE;
                    END IF;
                END IF;
                IF p_replacing[i] <> '' AND NOT EXISTS (
                    SELECT 1 FROM mqtt_authd.credentials r
                    WHERE r.token_id = p_replacing[i] AND r.username = v_username AND r.expires_at > p_nows[i]) THEN
                    o_index := i; o_username := v_username; o_new := v_new; o_revision := v_revision;
                    o_id := NULL; o_dropped := '{}'; o_refused := 'replaced';
                    RETURN NEXT;
                    CONTINUE;
                END IF;
        """ : ""
        let insert = lifecycle ? """
                INSERT INTO mqtt_authd.credentials (username, password_hash, expires_at, created_at, token_id, api_key, session_started_at)
                    VALUES (v_username, p_hashes[i], p_expires[i], p_nows[i], p_token_ids[i], p_api_keys[i], p_sessions[i])
                    RETURNING id INTO v_id;
        """ : """
                INSERT INTO mqtt_authd.credentials (username, password_hash, expires_at, created_at)
                    VALUES (v_username, p_hashes[i], p_expires[i], p_nows[i]) RETURNING id INTO v_id;
        """
        let declare = lifecycle ? """

            v_blocks boolean := EXISTS (SELECT 1 FROM mqtt_authd.user_blocks);
            v_until bigint;
        """ : ""
        return """
        CREATE FUNCTION mqtt_authd.issue_credentials(
            p_providers text[], p_subjects text[], p_candidates text[], p_per integer,
            p_hashes bytea[], p_expires bigint[], p_nows bigint[], p_maxes integer[]\(attributes ? ", p_attributes text[]" : "")\(lifecycle
                ? ", p_token_ids text[], p_api_keys text[], p_sessions bigint[], p_replacing text[]" : ""))
        RETURNS TABLE (o_index integer, o_username text, o_new boolean, o_revision bigint,
                       o_id bigint, o_dropped bigint[]\(lifecycle ? ", o_refused text" : ""))
        LANGUAGE plpgsql AS $$
        DECLARE\(declare)
            v_username text;
            v_new boolean;
            v_dropped bigint[];
            v_id bigint;
            v_count integer;
            v_revision bigint;
            v_candidate text;
            v_notice text := '';
        BEGIN
            FOR i IN 1 .. coalesce(array_length(p_providers, 1), 0) LOOP
                v_new := false;
                -- A bound identity: lock its row (so that max_per_user holds) and bump its revision.
                UPDATE mqtt_authd.identities d SET revision = d.revision + 1\(setAttributes)
                    WHERE d.provider = p_providers[i] AND d.subject = p_subjects[i]
                    RETURNING d.username, d.revision INTO v_username, v_revision;
                IF v_username IS NULL THEN
                    FOR k IN 1 .. p_per LOOP
                        v_candidate := p_candidates[(i - 1) * p_per + k];
                        INSERT INTO mqtt_authd.identities (provider, subject, username, revision, created_at\(attributes ? ", attributes" : ""))
                            VALUES (p_providers[i], p_subjects[i], v_candidate, 1, p_nows[i]\(attributes ? ", p_attributes[i]" : "")) ON CONFLICT DO NOTHING;
                        GET DIAGNOSTICS v_count = ROW_COUNT;
                        IF v_count = 1 THEN
                            v_username := v_candidate;
                            v_revision := 1;
                            v_new := true;
                            EXIT;
                        END IF;
                        -- The conflict may be this very identity, bound by another daemon meanwhile.
                        UPDATE mqtt_authd.identities d SET revision = d.revision + 1\(setAttributes)
                            WHERE d.provider = p_providers[i] AND d.subject = p_subjects[i]
                            RETURNING d.username, d.revision INTO v_username, v_revision;
                        EXIT WHEN v_username IS NOT NULL;
                    END LOOP;
                    -- Every candidate taken: no row for this request; the caller sends the next ones.
                    CONTINUE WHEN v_username IS NULL;
                END IF;
        \(refusals)\(insert)
                -- Expired credentials go, and of the rest only the newest p_maxes[i] stay.
                WITH gone AS (
                    DELETE FROM mqtt_authd.credentials c WHERE c.username = v_username AND c.id NOT IN (
                        SELECT kept.id FROM mqtt_authd.credentials kept
                        WHERE kept.username = v_username AND kept.expires_at > p_nows[i]
                        ORDER BY kept.id DESC LIMIT p_maxes[i])
                    RETURNING c.id)
                SELECT coalesce(array_agg(gone.id), '{}') INTO v_dropped FROM gone;
                IF length(v_notice) + length(v_username) > 7000 THEN
                    PERFORM pg_notify('mqtt_authd', v_notice);
                    v_notice := '';
                END IF;
                v_notice := v_notice || CASE WHEN v_notice = '' THEN '' ELSE E'\\n' END
                    || 'u' || v_revision || ':' || v_username;
                o_index := i;
                o_username := v_username;
                o_new := v_new;
                o_revision := v_revision;
                o_id := v_id;
                o_dropped := v_dropped;\(lifecycle ? "\n                o_refused := NULL;" : "")
                RETURN NEXT;
            END LOOP;
            IF v_notice <> '' THEN
                PERFORM pg_notify('mqtt_authd', v_notice);
            END IF;
        END
        $$
        """
    }

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
