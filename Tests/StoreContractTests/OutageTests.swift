import Foundation
import MQTTAuthCore
import MQTTAuthPostgres
import MQTTAuthStore
import TestSupport
import Testing

/// PostgreSQL stopped and started again under a running store, on a cluster of this test's own
/// (the shared one must stay up for the other tests): exchanges fail in bounded time, known
/// credentials keep verifying from memory, unknown ones are refused, and everything works
/// again afterwards without a new store (docs/architecture.md §9).
@Suite("Shared store outage")
struct OutageTests {
    @Test func theStoreFailsClosedAndRecoversByItself() async throws {
        let cluster = try PostgresCluster()
        defer { cluster.stop() }
        let location = try await StoreLocation(.postgres, cluster: cluster)
        try await location.withStore(now: t0, configure: { $0.timeout = .seconds(3) }) { store in
            let known = try await store.issue("grace")
            #expect(store.health == .ok)

            try cluster.stopServer()
            let started = ContinuousClock.now
            await #expect(throws: (any Error).self) { _ = try await store.issue("heidi") }
            #expect(ContinuousClock.now - started < .seconds(30), "an exchange must not hang while the database is down")
            #expect(await eventually { store.health == .unreachable })
            #expect(store.check(username: "grace", password: known.password, now: t0).expiresAt == at(3600))
            #expect(store.check(username: "grace", password: CredentialRules.newPassword(), now: t0) == .invalid)
            #expect(await store.verify(username: "ivan", password: CredentialRules.newPassword(), now: t0) == nil)

            try cluster.start()
            #expect(await eventually(seconds: 20) { store.health == .ok })
            var recovered: IssuedCredential?
            for _ in 0..<50 where recovered == nil {
                recovered = try? await store.issue("heidi")
                if recovered == nil { try await Task.sleep(for: .milliseconds(200)) }
            }
            let after = try #require(recovered, "exchanges work again with the same store")
            #expect(await store.verify(username: "heidi", password: after.password, now: t0) == at(3600))
            #expect(store.check(username: "grace", password: known.password, now: t0).expiresAt == at(3600))
        }
    }

    @Test func aDaemonThatLostTheFeedCatchesUp() async throws {
        let cluster = try PostgresCluster()
        defer { cluster.stop() }
        let location = try await StoreLocation(.postgres, cluster: cluster)
        try await location.withStore(now: t0) { a in
            try await location.withStore(now: t0) { b in
                let before = try await a.issue("judy", maxPerUser: 1)
                #expect(await eventually { b.check(username: "judy", password: before.password, now: t0).expiresAt == at(3600) })
                // Cut every daemon's sessions (their feeds among them) and, while they reconnect,
                // replace judy's credential: the notice may be lost, the full read is not.
                try cluster.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(location.database)' AND pid <> pg_backend_pid()")
                var replaced: IssuedCredential?
                for _ in 0..<50 where replaced == nil {
                    replaced = try? await a.issue("judy", maxPerUser: 1)
                    if replaced == nil { try await Task.sleep(for: .milliseconds(100)) }
                }
                let replacement = try #require(replaced)
                #expect(await eventually(seconds: 10) { b.check(username: "judy", password: before.password, now: t0).expiresAt != at(3600) })
                #expect(await b.verify(username: "judy", password: replacement.password, now: t0) == at(3600))
            }
        }
    }
}

/// `sslmode` against a server with TLS (a self-signed certificate) and one without.
@Suite("Shared store TLS")
struct DatabaseTLSTests {
    func prepare(_ url: String, ca: String? = nil) async throws {
        var settings = try PostgresSettings.parse(url: url)
        settings.caFile = ca
        let store = try PostgresCredentialStore(settings: settings, logger: quietLogger)
        try await store.prepare(now: t0, within: .seconds(30))
    }

    @Test func sslModesAreHonoured() async throws {
        let cluster = try PostgresCluster(tls: true)
        defer { cluster.stop() }
        let database = try cluster.newDatabase()
        // verify-full with the server's own certificate as the CA, by host name.
        try await prepare(cluster.url(database: database, host: "localhost", sslMode: "verify-full"), ca: cluster.certificate)
        // require: TLS, certificate not checked.
        try await prepare(cluster.url(database: database, sslMode: "require"))
        // verify-full against the system's CAs: a self-signed certificate is refused.
        let refused = await #expect(throws: PostgresStoreError.self) {
            try await prepare(cluster.url(database: database, host: "localhost", sslMode: "verify-full"))
        }
        #expect(refused?.description.contains("TLS") == true, "\(refused?.description ?? "")")
        #expect(refused?.description.contains(cluster.password) == false)

        let plain = try await PostgresCluster.sharedCluster()
        let noTLS = await #expect(throws: PostgresStoreError.self) {
            try await prepare(plain.url(database: try plain.newDatabase(), sslMode: "require"))
        }
        #expect(noTLS?.description.contains("does not offer TLS") == true, "\(noTLS?.description ?? "")")
    }
}
