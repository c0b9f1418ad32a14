import Foundation
import GRDB
import Logging
import MQTTAuthCore
import Synchronization

/// Issued MQTT credentials, in a SQLite file (through GRDB) with an in-memory index.
///
/// **Durability.** The database runs in WAL mode with `synchronous=FULL`: every commit syncs
/// the WAL file to disk (fsync) before it returns, and `issue` returns only after its
/// transaction has committed. So a credential that `issue` answered survives a crash of the
/// process (`kill -9`) and a restart, and also an operating-system crash or a power loss, as
/// far as the disk honours fsync. (With WAL, GRDB's default `synchronous=NORMAL` would survive
/// process crashes only: the last commits could be lost on power loss.)
///
/// **Reads.** `authenticate` and `activeCount` read only the in-memory index, under a `Mutex`:
/// no disk I/O and no actor hop on the broker's hot path. Writes (`issue`, `purgeExpired`) go
/// through GRDB's async API, serialised on the database's writer queue; each updates the index
/// after its commit, on that same queue (see `CredentialIndex`).
///
/// **One owner.** The index is loaded when the store opens and then follows this store's own
/// writes: one process owns a database file. (Another store opened on the same file, as after
/// a crash, sees everything committed before it opened.)
///
/// **Secrets.** Only SHA-256 hashes of passwords reach the disk; no log line holds a password
/// or a hash. See `Schema` for the tables and the time format (whole Unix seconds).
package final class SQLiteCredentialStore: CredentialStore, APIKeyTableOwner {
    let database: DatabaseQueue
    let index: LockedIndex
    let logger: Logger
    /// Concurrent `issue` calls, committed together.
    let issues: IssueQueue<IssueRequest, IssueOutcome>
    /// The stored API keys (`SQLiteCredentialStore+apiKeys.swift`).
    package let apiKeys = APIKeyTable()
    /// `PRAGMA data_version` when the keys were last read: it changes when another process commits.
    let keysDataVersion = Mutex<Int64>(0)

    /// Opens the SQLite database at `path`, creating the file and its parent folders when
    /// missing, in WAL mode with `synchronous=FULL`; migrates the schema with GRDB's
    /// `DatabaseMigrator`; and loads every credential unexpired at `now` into the index.
    ///
    /// - Throws: `CredentialStoreError` naming the path and the reason: a folder that cannot be
    ///   created, a file that is not a SQLite database, a database that cannot be written.
    package init(path: String, logger: Logger, now: Date = Date()) throws(CredentialStoreError) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw .cannotCreateFolder(folder, error)
        }
        let queue: DatabaseQueue
        let loaded: CredentialIndex
        let keys: ([StoredAPIKey], Int64)
        do {
            queue = try DatabaseQueue(path: path, configuration: Self.configuration)
            try Schema.migrator.migrate(queue)
            loaded = try queue.read { db in try Self.loadUnexpired(db, now: now) }
            keys = try queue.read { db in (try Self.readAPIKeys(db), try Self.dataVersion(db)) }
        } catch {
            throw .cannotOpen(path, error)
        }
        database = queue
        let index = LockedIndex(loaded)
        self.index = index
        issues = IssueQueue { batch in await Self.record(batch: batch, in: queue, index: index) }
        self.logger = logger
        apiKeys.replace(with: keys.0, ticket: apiKeys.ticket())
        keysDataVersion.withLock { $0 = keys.1 }
        logger.debug("opened the credential store", metadata: [
            "store.path": "\(path)",
            "store.active_credentials": "\(loaded.activeCount(now: now))",
        ])
    }

    /// WAL and `synchronous=FULL` on every connection, set before GRDB uses it. (GRDB's own
    /// `journalMode = .wal` would set `synchronous=NORMAL` after this preparation runs.) Busy
    /// waits up to 10 s, for another process that holds the write lock.
    private static var configuration: Configuration {
        var configuration = Configuration()
        configuration.label = "mqtt-authd.credentials"
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            guard mode == "wal" else { throw CredentialStoreError.notWAL(mode) }
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return configuration
    }

    private static func loadUnexpired(_ db: Database, now: Date) throws -> CredentialIndex {
        var index = CredentialIndex()
        let rows = try Row.fetchCursor(db, sql: """
            SELECT id, username, password_hash, expires_at, token_id FROM credentials
            WHERE expires_at > ? ORDER BY id
            """, arguments: [now.timeIntervalSince1970])
        while let row = try rows.next() {
            index.append(Self.entry(row), for: row["username"])
        }
        let attributes = try Row.fetchCursor(db, sql: "SELECT username, attributes FROM identities WHERE attributes <> ''")
        while let row = try attributes.next() {
            index.setAttributes(UserAttributes(storedText: row["attributes"]), for: row["username"])
        }
        let blocks = try Row.fetchCursor(db, sql: "SELECT username, until FROM user_blocks WHERE until > ?", arguments: [UnixTime.seconds(now)])
        while let row = try blocks.next() {
            index.setBlock(UnixTime.date(row["until"]), for: row["username"])
        }
        return index
    }

    /// An index entry from a row holding `id`, `password_hash`, `expires_at` and `token_id`.
    static func entry(_ row: Row) -> CredentialIndex.Entry {
        let hash: Data = row["password_hash"]
        return CredentialIndex.Entry(id: row["id"], hash: Array(hash), expiresAt: UnixTime.date(row["expires_at"]), tokenID: row["token_id"])
    }

    /// Unexpired credentials in the index (for the active-credentials gauge).
    package func activeCount(now: Date) -> Int {
        index.withLock { $0.activeCount(now: now) }
    }

    /// The connection's `journal_mode` and `synchronous` (2 = FULL), for tests and diagnostics.
    package func journalSettings() async throws -> (journalMode: String, synchronous: Int) {
        try await database.read { db in
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? ""
            let synchronous = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
            return (mode, synchronous)
        }
    }
}
