import Foundation
import MQTTAuthCore
import MQTTAuthPostgres
import MQTTAuthStore
import TestSupport
import Testing

/// What only the shared store does: several daemons (here, several store instances) on one
/// PostgreSQL database, the bound on look-ups, migrations, and start-up errors
/// (docs/architecture.md §9).
@Suite("Shared PostgreSQL store")
struct SharedStoreTests {
    /// Runs `body` with two stores on one fresh database, both following the change feed.
    func withTwoDaemons<T: Sendable>(
        configure: @escaping @Sendable (inout PostgresSettings) -> Void = { _ in },
        _ body: @escaping @Sendable (any CredentialStore, any CredentialStore) async throws -> T
    ) async throws -> T {
        let location = try await StoreLocation(.postgres)
        return try await location.withStore(now: t0, configure: configure) { a in
            try await location.withStore(now: t0, configure: configure) { b in
                try await body(a, b)
            }
        }
    }

    @Test func aCredentialFromOneDaemonVerifiesAtAnotherOnTheNextRequest() async throws {
        try await withTwoDaemons { a, b in
            let issued = try await a.issue("alice")
            // Memory may not know it yet: the miss asks the database instead of refusing.
            let first = b.check(username: "alice", password: issued.password, now: t0)
            #expect(first == .askStore || first.expiresAt == at(3600))
            #expect(await b.verify(username: "alice", password: issued.password, now: t0) == at(3600))
            // And from then on memory answers.
            #expect(b.check(username: "alice", password: issued.password, now: t0).expiresAt == at(3600))
        }
    }

    @Test func theFeedBringsCredentialsIntoEveryDaemonsMemory() async throws {
        try await withTwoDaemons { a, b in
            let issued = try await b.issue("bob")
            #expect(await eventually(seconds: 1) { a.check(username: "bob", password: issued.password, now: t0).expiresAt == at(3600) })
        }
    }

    @Test func attributesWrittenByOneDaemonReachTheOther() async throws {
        try await withTwoDaemons { a, b in
            let acme = UserAttributes(["org": ["acme"]])
            _ = try await a.issue(provider: "supabase", subject: "frank", username: "frank", expiresAt: at(3600),
                                  maxPerUser: 20, attributes: acme, now: t0)
            #expect(await eventually(seconds: 2) { b.attributes(of: "frank") == acme })
            let globex = UserAttributes(["org": ["globex"], "roles": ["admin"]])
            _ = try await b.bindIdentity(provider: "supabase", subject: "frank", username: "frank", attributes: globex, now: t0)
            #expect(await eventually(seconds: 2) { a.attributes(of: "frank") == globex }, "a token login's attributes too")
        }
    }

    @Test func maxPerUserHoldsAcrossDaemonsAndDropsReachBoth() async throws {
        try await withTwoDaemons { a, b in
            let first = try await a.issue("carol", maxPerUser: 2)
            #expect(await eventually { b.check(username: "carol", password: first.password, now: t0).expiresAt == at(3600) })
            let second = try await b.issue("carol", maxPerUser: 2)
            let third = try await a.issue("carol", maxPerUser: 2)
            for store in [a, b] {
                #expect(await eventually(seconds: 1) { store.check(username: "carol", password: first.password, now: t0).expiresAt != at(3600) })
                #expect(await store.verify(username: "carol", password: first.password, now: t0) == nil)
                #expect(await store.verify(username: "carol", password: second.password, now: t0) != nil)
                #expect(await store.verify(username: "carol", password: third.password, now: t0) != nil)
            }
        }
    }

    /// A daemon hears its own changes on the feed too, often before its write has applied
    /// them to memory; it must not read those users back (docs/architecture.md §9.8), and
    /// under concurrent exchanges memory must still end where the database is.
    @Test func aDaemonDoesNotReadBackItsOwnExchanges() async throws {
        try await withTwoDaemons { a, b in
            let users = (0..<20).map { "user\($0)" }
            // Twenty clients exchanging one after another: many small batches, each one a
            // chance for its notice to overtake the write.
            let issued = try await withThrowingTaskGroup(of: [(String, String)].self) { group in
                for user in users {
                    group.addTask {
                        var passwords: [(String, String)] = []
                        for _ in 0..<15 { passwords.append((user, try await a.issue(user, maxPerUser: 3).password)) }
                        return passwords
                    }
                }
                var issued: [(String, String)] = []
                for try await pairs in group { issued += pairs }
                return issued
            }
            // The feed delivers in commit order: once `a` has read `b`'s later change, it has
            // heard every notice of its own.
            let late = try await b.issue("late")
            #expect(await eventually(seconds: 10) { a.check(username: "late", password: late.password, now: t0).expiresAt == at(3600) })
            let own = try #require(a as? PostgresCredentialStore)
            #expect(own.usersRefetched == 1, "only the other daemon's user is read again")
            for store in [a, b] {
                #expect(await eventually(seconds: 10) {
                    users.allSatisfy { user in
                        issued.filter { $0.0 == user && store.check(username: user, password: $0.1, now: t0).expiresAt == at(3600) }.count == 3
                    }
                }, "each user's three newest credentials, in both memories")
            }
        }
    }

    @Test func aPurgeOnOneDaemonEmptiesTheOthersMemory() async throws {
        // Times from this test's own start, not `t0`: the other daemon reads with the real
        // clock, and in a long run `t0 + 30 s` may already be past when this test begins.
        let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        try await withTwoDaemons { a, b in
            _ = try await a.issue("dave", expiresAt: start.addingTimeInterval(120), now: start)
            let kept = try await a.issue("erin", expiresAt: start.addingTimeInterval(3600), now: start)
            // Generous, as the fixture's store timeouts: the whole suite shares two cores.
            #expect(await eventually(seconds: 30) { b.activeCount(now: start) == 2 })
            let later = start.addingTimeInterval(150)
            #expect(try await a.purgeExpired(now: later) == 1)
            #expect(try await b.purgeExpired(now: later) == 0, "a second purge finds nothing left")
            #expect(await eventually(seconds: 1) { b.activeCount(now: start) == 1 })
            #expect(b.check(username: "erin", password: kept.password, now: start).expiresAt == start.addingTimeInterval(3600))
        }
    }

    @Test func racingExchangesOnTwoDaemonsNeverShareAName() async throws {
        try await withTwoDaemons { a, b in
            let subjects = (0..<100).map { "racer-\($0)" }
            let names = try await withThrowingTaskGroup(of: (String, String).self) { group in
                for subject in subjects {
                    for store in [a, b] {
                        group.addTask { (subject, try await store.issue(subject, username: "jane_example_com").username) }
                    }
                }
                var names: [String: Set<String>] = [:]
                for try await (subject, name) in group { names[subject, default: []].insert(name) }
                return names
            }
            #expect(names.count == subjects.count)
            #expect(names.values.allSatisfy { $0.count == 1 }, "an identity got two names")
            #expect(Set(names.values.compactMap(\.first)).count == subjects.count, "two identities share a name")
        }
    }

    @Test func lookUpsOfUnknownPasswordsAreBounded() async throws {
        let location = try await StoreLocation(.postgres)
        let limited: @Sendable (inout PostgresSettings) -> Void = { $0.missLookupRate = 0.001; $0.missLookupBurst = 3 }
        try await location.withStore(now: t0, configure: limited) { a in
            try await location.withStore(now: t0, configure: limited) { b in
                let issued = try await a.issue("frank")
                // (Waiting on the feed, not on `check`, which would spend the bucket.)
                #expect(await eventually { b.activeCount(now: t0) == 1 })
                // Unknown usernames share one bucket: three look-ups, then refusals from memory.
                let guesses = (0..<5).map { _ in CredentialRules.newPassword() }
                let answers = guesses.map { b.check(username: "nobody-\($0.prefix(6))", password: $0, now: t0) }
                #expect(answers == [.askStore, .askStore, .askStore, .invalid, .invalid])
                // Known credentials are answered from memory whatever the buckets hold ...
                #expect(b.check(username: "frank", password: issued.password, now: t0).expiresAt == at(3600))
                // ... and a known user's new credential from another daemon is still looked up,
                // though the guesser emptied the shared bucket.
                let fresh = try await a.issue("frank")
                let first = b.check(username: "frank", password: fresh.password, now: t0)
                #expect(first == .askStore || first.expiresAt == at(3600))
                #expect(await b.verify(username: "frank", password: fresh.password, now: t0) == at(3600))
                // A guesser aiming at that user gets that user's few look-ups, no more.
                let aimed = (0..<8).map { _ in b.check(username: "frank", password: CredentialRules.newPassword(), now: t0) }
                #expect(aimed.filter { $0 == .askStore }.count <= 5)
                #expect(aimed.suffix(3).allSatisfy { $0 == .invalid })
            }
        }
        try await location.withStore(now: t0, configure: { $0.missLookupBurst = 10 }) { store in
            let guess = CredentialRules.newPassword()
            #expect(store.check(username: "frank", password: guess, now: t0) == .askStore)
            #expect(await store.checkInStore(username: "frank", password: guess, now: t0) == nil)
            // The database said no once: that password can never become valid, so it is not asked again.
            #expect(store.check(username: "frank", password: guess, now: t0) == .invalid)
        }
    }

    @Test func daemonsStartingAtOnceMigrateExactlyOnce() async throws {
        let location = try await StoreLocation(.postgres)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    let store = try PostgresCredentialStore(settings: try location.settings(), logger: quietLogger)
                    try await store.prepare(now: t0, within: .seconds(30))
                }
            }
            try await group.waitForAll()
        }
        let versions = try location.cluster!.value("SELECT count(*) || ':' || max(version) FROM mqtt_authd.schema_version", database: location.database)
        #expect(versions == "4:4", "every migration, each once")
    }

    @Test func aSchemaNewerThanThisBuildIsRefused() async throws {
        let location = try await StoreLocation(.postgres)
        try await location.withStore(now: t0) { _ in }
        try location.cluster!.sql("INSERT INTO mqtt_authd.schema_version VALUES (99)", database: location.database)
        let store = try PostgresCredentialStore(settings: try location.settings(), logger: quietLogger)
        let error = await #expect(throws: PostgresStoreError.self) { try await store.prepare(now: t0, within: .seconds(30)) }
        #expect(error?.description.contains("version 99, newer than this mqtt-authd knows") == true)
    }

    @Test func aWrongPasswordIsNamedAndNeverShown() async throws {
        let location = try await StoreLocation(.postgres)
        let secret = "not-the-password-\(UUID().uuidString)"
        let store = try PostgresCredentialStore(settings: try location.settings { $0.password = secret }, logger: quietLogger)
        let error = await #expect(throws: PostgresStoreError.self) { try await store.prepare(now: t0, within: .seconds(30)) }
        let text = error?.description ?? ""
        #expect(text.contains("password authentication failed"), "\(text)")
        #expect(!text.contains(secret))
        #expect(!String(reflecting: try location.settings { $0.password = secret }).contains(secret))
    }

    @Test func anUnreachableServerIsAClearErrorInBoundedTime() async throws {
        let port = try FreePort.next()
        var settings = try PostgresSettings.parse(url: "postgres://u:secret-pw@127.0.0.1:\(port)/db?sslmode=disable")
        settings.timeout = .seconds(2)
        let store = try PostgresCredentialStore(settings: settings, logger: quietLogger)
        let started = ContinuousClock.now
        let error = await #expect(throws: PostgresStoreError.self) { try await store.prepare(now: t0) }
        // The store answers at its 2 s deadline; the bound is far above it because in a full run
        // other suites' blocking waits (processes, MQTT client loops) can hold both threads of
        // the concurrency pool for tens of seconds, and with them this test's timer. A hang
        // (retrying for ever) still fails it.
        #expect(ContinuousClock.now - started < .seconds(120), "prepare must not hang")
        #expect(error?.description.contains("onnect") == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("secret-pw") == false)
    }

    @Test func urlsAreReadAndTheirPasswordsNeverPrinted() throws {
        let settings = try PostgresSettings.parse(url: "postgresql://mqtt_authd:p%40ss%2Fw0rd@db.example:6543/authd?sslmode=require")
        #expect(settings.host == "db.example")
        #expect(settings.port == 6543)
        #expect(settings.username == "mqtt_authd")
        #expect(settings.password == "p@ss/w0rd")
        #expect(settings.database == "authd")
        #expect(settings.sslMode == .require)
        #expect(settings.description == "postgres://mqtt_authd:***@db.example:6543/authd?sslmode=require")
        #expect(try PostgresSettings.parse(url: "postgres://u@h").sslMode == .verifyFull)
        #expect(try PostgresSettings.parse(url: "postgres://u@h").database == "u")
        for bad in ["postgres://:pw@h/db", "postgres://u:pw@/db", "postgres://u:pw@h/db?sslmode=prefer",
                    "postgres://u:pw@h/db?foo=1", "postgres://u:pw@h/a/b", "postgres://u:pw@h:99999/db", "mysql://u:pw@h/db"] {
            do {
                _ = try PostgresSettings.parse(url: bad)
                Issue.record("accepted \(bad)")
            } catch {
                #expect(!error.description.contains("pw"), "\(bad): \(error)")
            }
        }
    }
}
