import Foundation
import Logging
import MQTTAuthCore
import MQTTAuthStore
import NIOCore
import NIOSSL
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Issued credentials in PostgreSQL, shared by every daemon on the database, with the same kind
/// of in-memory index as the SQLite store (docs/architecture.md §9, README "Running several
/// daemons").
///
/// - **Writes** (`issue`, `purgeExpired`) go to the database through `client`, a pool of
///   `settings.poolSize` connections, each bounded by `settings.timeout`; an exchange answers
///   only after its transaction committed (PostgreSQL's `synchronous_commit`, on by default,
///   makes that durable). Concurrent exchanges share one transaction, as on SQLite.
/// - **Reads** for broker checks come from memory. A miss asks the database (`checkInStore`),
///   within the bound of `MissLookups`, and refuses when it cannot.
/// - **Following other daemons**: every change of a user's credentials is announced on the
///   channel `mqtt_authd` inside its transaction; `run()` listens, refetches the users it hears
///   of and drops what a purge removed. When the feed is lost it reconnects by itself and
///   reads everything again, so what it missed meanwhile is caught up (`SyncedIndex.merged`).
///
/// The client must be running (`client.run()`, a `Service`) for anything but `prepare`.
package final class PostgresCredentialStore: CredentialStore, APIKeyTableOwner, Service {
    package let client: PostgresClient
    let settings: PostgresSettings
    let logger: Logger
    let connectionConfiguration: PostgresConnection.Configuration
    let index = Mutex(SyncedIndex())
    let misses: Mutex<MissLookups>
    let reachable = Atomic<Bool>(true)
    /// Users waiting to be refetched by `run()` (`PendingRefetches`). Its lock may be held
    /// while taking `index`'s, never the other way round.
    let pendingUsers = Mutex(PendingRefetches())
    /// Exchange writes started and finished (`write`), which announced users wait for.
    let writesStarted = Atomic<UInt64>(0)
    let writesFinished = Atomic<UInt64>(0)
    /// Users `run()` has read again because memory was behind the store (a change another
    /// daemon made, or one memory could not apply).
    let refetched = Atomic<Int>(0)
    package var usersRefetched: Int { refetched.load(ordering: .relaxed) }
    let wakeRefetch: AsyncStream<Void>.Continuation
    let refetchWakes: AsyncStream<Void>
    /// Set when a refetch failed: `run()` then reads everything again.
    let needsResync = Atomic<Bool>(false)
    /// Concurrent exchanges, written together (`PostgresCredentialStore+issue.swift`).
    let issues: IssueQueue<IssueRequest, IssueOutcome>
    /// The stored API keys (`PostgresCredentialStore+apiKeys.swift`).
    package let apiKeys = APIKeyTable()
    /// Set by a `k` notice: `refetchLoop` reads the keys again.
    let keysChanged = Atomic<Bool>(false)

    /// Builds the store and its pool; connects nothing yet.
    ///
    /// - Throws: `PostgresStoreError` when `database_ca` cannot be read or TLS cannot be set up.
    package init(settings: PostgresSettings, logger: Logger) throws(PostgresStoreError) {
        self.settings = settings
        self.logger = logger
        let tls: PostgresConnection.Configuration.TLS
        let poolTLS: PostgresClient.Configuration.TLS
        switch settings.sslMode {
        case .disable:
            tls = .disable
            poolTLS = .disable
        case .require, .verifyFull:
            var configuration = TLSConfiguration.makeClientConfiguration()
            if settings.sslMode == .require {
                configuration.certificateVerification = .none
            } else if let caFile = settings.caFile {
                do {
                    configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
                } catch {
                    throw PostgresStoreError("database_ca: cannot read certificates from '\(caFile)': \(PostgresStoreError.reason(error))")
                }
            }
            do {
                tls = .require(try NIOSSLContext(configuration: configuration))
            } catch {
                throw PostgresStoreError("cannot set up TLS for the database: \(PostgresStoreError.reason(error))")
            }
            poolTLS = .require(configuration)
        }
        var connection = PostgresConnection.Configuration(
            host: settings.host, port: settings.port, username: settings.username,
            password: settings.password, database: settings.database, tls: tls
        )
        connection.options.connectTimeout = .seconds(Int64(max(1, settings.timeout.components.seconds)))
        connectionConfiguration = connection
        var pool = PostgresClient.Configuration(
            host: settings.host, port: settings.port, username: settings.username,
            password: settings.password, database: settings.database, tls: poolTLS
        )
        pool.options.maximumConnections = settings.poolSize
        pool.options.minimumConnections = 0
        pool.options.connectTimeout = settings.timeout
        // The pool logs every failed connection attempt at info, dozens a second in an outage:
        // the store reports outages itself, once (`noteFailure`).
        var background = logger
        background.logLevel = max(logger.logLevel, .warning)
        client = PostgresClient(configuration: pool, backgroundLogger: background)
        misses = Mutex(MissLookups(rate: settings.missLookupRate, burst: settings.missLookupBurst))
        (refetchWakes, wakeRefetch) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        // The queue's writer is this store, which does not exist yet: it is reached through a
        // weak reference set below.
        let owner = WeakStore()
        issues = IssueQueue { batch in
            guard let store = owner.store else { return batch.map { _ in .failure(CredentialStoreError("the credential store is closed")) } }
            return await store.write(batch)
        }
        owner.store = self
    }

    /// Runs the connection pool until cancelled (what the daemon does with `client` as a
    /// `Service`).
    package func runClient() async {
        await client.run()
    }

    /// Connects once, migrates the schema (docs: `PostgresSchema`) and loads every unexpired
    /// credential into memory, within `settings.timeout`.
    ///
    /// - Throws: `PostgresStoreError` naming the reason: the server unreachable, the login
    ///   refused, TLS refused, a schema newer than this build knows.
    package func prepare(now: Date, within limit: Duration? = nil) async throws(PostgresStoreError) {
        do {
            let snapshot = try await withDeadline(limit ?? settings.timeout, "connecting to the database") { [self] in
                let connection = try await PostgresConnection.connect(configuration: connectionConfiguration, id: 0, logger: logger)
                do {
                    try await PostgresSchema.migrate(connection, logger: logger)
                    let snapshot = try await Self.readAll(connection, now: now, logger: logger)
                    let ticket = apiKeys.ticket()
                    apiKeys.replace(with: try await Self.readAPIKeys(connection, logger: logger), ticket: ticket)
                    try? await connection.close()
                    return snapshot
                } catch {
                    try? await connection.close()
                    throw error
                }
            }
            index.withLock { $0 = SyncedIndex().merged(with: snapshot, since: 0) }
            logger.debug("opened the credential store", metadata: [
                "store.database": "\(settings)",
                "store.active_credentials": "\(activeCount(now: now))",
            ])
        } catch {
            throw PostgresStoreError(PostgresStoreError.reason(error))
        }
    }

    // MARK: Reads

    package func check(username: String, password: String, now: Date) -> CredentialCheck {
        let hash = CredentialRules.hash(password)
        let (entries, known) = index.withLock { ($0.credentials.entries(for: username), $0.revision(of: username) != nil) }
        if let match = CredentialIndex.match(hash, in: entries, now: now) { return .valid(match) }
        // Fail closed without waiting while the database is known to be down.
        guard reachable.load(ordering: .relaxed) else { return .invalid }
        let key = MissLookups.Key(username: username, hash: hash)
        return misses.withLock { $0.admit(key, knownUser: known) } ? .askStore : .invalid
    }

    /// A miss look-up waits at most this long: a broker is waiting on the answer.
    var lookupTimeout: Duration { min(settings.timeout, .seconds(2)) }

    package func checkInStore(username: String, password: String, now: Date) async -> CredentialMatch? {
        let hash = CredentialRules.hash(password)
        do {
            let reads = try await withDeadline(lookupTimeout, "looking up a credential") { [self] in
                try await fetchUsers([username], now: now)
            }
            markReachable()
            let read = reads[username]
            if let read { index.withLock { $0.apply(read, for: username) } }
            let match = read.flatMap { CredentialIndex.match(hash, in: $0.entries, now: now) }
            if match == nil { misses.withLock { $0.rememberUnknown(MissLookups.Key(username: username, hash: hash)) } }
            return match
        } catch {
            noteFailure(error, "looking up a credential")
            return nil
        }
    }

    package func activeCount(now: Date) -> Int {
        index.withLock { $0.credentials.activeCount(now: now) }
    }

    package func attributes(of username: String) -> UserAttributes {
        index.withLock { $0.credentials.attributes(for: username) }
    }

    package var health: StoreHealth {
        reachable.load(ordering: .relaxed) ? .ok : .unreachable
    }

    // MARK: Writes

    /// How long a write may wait: `settings.timeout`, but at most a second while the database is
    /// known to be down, so that exchanges are refused quickly during an outage and still go
    /// through as soon as it is back.
    var writeTimeout: Duration {
        reachable.load(ordering: .relaxed) ? settings.timeout : min(settings.timeout, .seconds(1))
    }

    package func purgeExpired(now: Date) async throws -> Int {
        let cutoff = UnixTime.seconds(now)
        let purged: Int
        do {
            purged = try await withDeadline(writeTimeout, "purging expired credentials") { [self] in
                try await client.withTransaction(logger: logger) { connection in
                    var count = 0
                    let rows = try await connection.query("""
                        WITH gone AS (DELETE FROM mqtt_authd.credentials WHERE expires_at <= \(cutoff) RETURNING 1)
                        SELECT count(*) FROM gone
                        """, logger: logger)
                    for try await deleted in rows.decode(Int64.self) { count = Int(deleted) }
                    // A revoked credential's sessions cannot outlive its expiry, so neither need its record.
                    try await connection.query("DELETE FROM mqtt_authd.revocations WHERE expires_at <= \(cutoff)", logger: logger)
                    try await connection.query("DELETE FROM mqtt_authd.user_blocks WHERE until <= \(cutoff)", logger: logger)
                    if count > 0 {
                        try await connection.query("SELECT pg_notify(\(PostgresSchema.channel), \("p\(cutoff)"))", logger: logger)
                    }
                    return count
                }
            }
            markReachable()
        } catch {
            noteFailure(error, "purging expired credentials")
            throw CredentialStoreError("cannot purge expired credentials: \(PostgresStoreError.reason(error))")
        }
        index.withLock { $0.removeExpired(now: now) }
        return purged
    }

    // MARK: Reading users

    /// The unexpired credentials of each of `usernames` that has an identity, with its revision.
    func fetchUsers(_ usernames: [String], now: Date) async throws -> [String: SyncedIndex.Read] {
        let rows = try await client.query("""
            SELECT i.username, i.revision, i.attributes, b.until, c.id, c.password_hash, c.expires_at, c.token_id
            FROM mqtt_authd.identities i
            LEFT JOIN mqtt_authd.credentials c ON c.username = i.username AND c.expires_at > \(UnixTime.seconds(now))
            LEFT JOIN mqtt_authd.user_blocks b ON b.username = i.username AND b.until > \(UnixTime.seconds(now))
            WHERE i.username = ANY(\(usernames))
            ORDER BY c.id
            """, logger: logger)
        var reads: [String: SyncedIndex.Read] = [:]
        for try await (username, revision, attributes, until, id, hash, expires, tokenID)
            in rows.decode((String, Int64, String, Int64?, Int64?, ByteBuffer?, Int64?, String?).self) {
            reads[username, default: .init(revision: revision, entries: [], attributes: UserAttributes(storedText: attributes),
                                           blockedUntil: until.map(UnixTime.date))].revision = revision
            if let id, let hash, let expires, let tokenID {
                reads[username]!.entries.append(CredentialIndex.Entry(id: id, hash: Array(hash.readableBytesView), expiresAt: UnixTime.date(expires),
                                                                      tokenID: tokenID))
            }
        }
        return reads
    }

    /// Every unexpired credential, by user.
    static func readAll(_ connection: PostgresConnection, now: Date, logger: Logger) async throws -> [String: SyncedIndex.Read] {
        let rows = try await connection.query("""
            SELECT c.username, i.revision, c.id, c.password_hash, c.expires_at, c.token_id
            FROM mqtt_authd.credentials c JOIN mqtt_authd.identities i ON i.username = c.username
            WHERE c.expires_at > \(UnixTime.seconds(now))
            ORDER BY c.id
            """, logger: logger)
        var reads: [String: SyncedIndex.Read] = [:]
        for try await (username, revision, id, hash, expires, tokenID) in rows.decode((String, Int64, Int64, ByteBuffer, Int64, String).self) {
            reads[username, default: .init(revision: revision, entries: [])].entries
                .append(CredentialIndex.Entry(id: id, hash: Array(hash.readableBytesView), expiresAt: UnixTime.date(expires), tokenID: tokenID))
        }
        // Attributes count without a credential too (a token used as the MQTT password).
        let attributed = try await connection.query(
            "SELECT username, revision, attributes FROM mqtt_authd.identities WHERE attributes <> ''", logger: logger)
        for try await (username, revision, attributes) in attributed.decode((String, Int64, String).self) {
            reads[username, default: .init(revision: revision, entries: [])].attributes = UserAttributes(storedText: attributes)
        }
        let blocks = try await connection.query("""
            SELECT b.username, i.revision, b.until FROM mqtt_authd.user_blocks b
            JOIN mqtt_authd.identities i ON i.username = b.username WHERE b.until > \(UnixTime.seconds(now))
            """, logger: logger)
        for try await (username, revision, until) in blocks.decode((String, Int64, Int64).self) {
            reads[username, default: .init(revision: revision, entries: [])].blockedUntil = UnixTime.date(until)
        }
        return reads
    }

    // MARK: Health

    func markReachable() {
        if !reachable.exchange(true, ordering: .relaxed) {
            logger.notice("the credential database answers again")
        }
    }

    /// Records a failed database call: the database counts as unreachable unless the server
    /// itself answered (a server error means it is up).
    func noteFailure(_ error: any Error, _ what: String) {
        let serverAnswered = (error as? PSQLError)?.serverInfo != nil
        let metadata: Logger.Metadata = ["while": "\(what)", "error": "\(PostgresStoreError.reason(error))"]
        if serverAnswered {
            logger.warning("a database call failed", metadata: metadata)
        } else if reachable.exchange(false, ordering: .relaxed) {
            logger.error("the credential database is unreachable: broker checks are answered from memory, exchanges get 503", metadata: metadata)
        } else {
            // Already reported: an outage logs once, not at every reconnection attempt.
            logger.debug("the credential database is still unreachable", metadata: metadata)
        }
    }
}

/// A weak reference to a store, for the closure that writes its batches.
final class WeakStore: Sendable {
    private let reference = Mutex(Reference())

    private struct Reference {
        weak var store: PostgresCredentialStore?
    }

    var store: PostgresCredentialStore? {
        get { reference.withLock { $0.store } }
        set { reference.withLock { $0.store = newValue } }
    }
}
