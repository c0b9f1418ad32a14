import Foundation
import Logging
import MQTTAuthPostgres
import MQTTAuthStore
import TestSupport
import Testing

/// The two stores every contract test runs against.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// Where a test's store keeps its data: a SQLite file in a fresh folder, or a fresh database on
/// the shared test cluster. `open()` gives a new store instance on the same data, as a
/// restarted daemon (or a second daemon) would have.
final class StoreLocation: Sendable {
    let kind: StoreKind
    let folder: TempFolder
    let cluster: PostgresCluster?
    let database: String

    init(_ kind: StoreKind, cluster: PostgresCluster? = nil) async throws {
        self.kind = kind
        folder = try TempFolder("store")
        switch kind {
        case .sqlite:
            self.cluster = nil
            database = folder.path + "/credentials.sqlite"
        case .postgres:
            let cluster = if let cluster { cluster } else { try await PostgresCluster.sharedCluster() }
            self.cluster = cluster
            database = try await cluster.freshDatabase()
        }
    }

    func settings(configure: (inout PostgresSettings) -> Void = { _ in }) throws -> PostgresSettings {
        var settings = try PostgresSettings.parse(url: cluster!.url(database: database))
        // Generous: the whole suite shares two cores, and tests that block their threads can
        // keep a store's tasks waiting for seconds. Tests about the bound set their own.
        settings.timeout = .seconds(30)
        configure(&settings)
        return settings
    }

    /// Opens a store here and runs `body` with it; a PostgreSQL store has its pool and its
    /// change feed running meanwhile, and both are stopped afterwards.
    func withStore<T: Sendable>(
        now: Date,
        logger: Logger = quietLogger,
        configure: (inout PostgresSettings) -> Void = { _ in },
        _ body: @Sendable (any CredentialStore) async throws -> T
    ) async throws -> T {
        switch kind {
        case .sqlite:
            return try await body(SQLiteCredentialStore(path: database, logger: logger, now: now))
        case .postgres:
            let store = try PostgresCredentialStore(settings: settings(configure: configure), logger: logger)
            try await store.prepare(now: now, within: .seconds(30))
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await store.runClient() }
                group.addTask { try await store.run() }
                defer { group.cancelAll() }
                return try await body(store)
            }
        }
    }
}

/// A logger that drops everything.
let quietLogger = Logger(label: "mqtt-authd.test") { _ in SwiftLogNoOpLogHandler() }

/// Whole seconds near the real clock: a PostgreSQL store's feed reads with the real time.
let t0 = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))

func at(_ seconds: TimeInterval) -> Date { t0.addingTimeInterval(seconds) }

extension CredentialStore {
    /// `issue` with test defaults: provider `supabase`, username = subject, an hour's life, cap 20.
    func issue(
        _ subject: String,
        provider: String = "supabase",
        username: String? = nil,
        expiresAt: Date = at(3600),
        maxPerUser: Int = 20,
        now: Date = t0
    ) async throws -> IssuedCredential {
        try await issue(
            provider: provider, subject: subject, username: username ?? subject,
            expiresAt: expiresAt, maxPerUser: maxPerUser, now: now
        )
    }
}

