import Foundation
import MQTTAuthCore
import MQTTAuthStore
import TestSupport
import Testing

/// Stored API keys (README "Keys in the store"), against both stores; what only the shared
/// store does (a revocation reaching another daemon) is at the end.
@Suite("Store contract: API keys", .serialized)
struct APIKeyContractTests {
    private func newKey(_ name: String, _ kind: StoredAPIKey.Kind = .secret, expiresAt: Date? = nil) -> NewAPIKey {
        NewAPIKey(name: name, kind: kind, expiresAt: expiresAt, now: t0)
    }

    @Test func newKeysHaveTheirPrefixAnd256RandomBits() {
        let secret = newKey("a")
        let publishable = newKey("b", .publishable)
        #expect(secret.key.hasPrefix("sk_live_"))
        #expect(secret.key.count == 8 + 43)
        #expect(publishable.key.hasPrefix("pk_live_"))
        #expect(secret.stored.sha256 == CredentialRules.hash(secret.key))
        #expect(newKey("a").key != secret.key)
        for name in ["", "a b", "a/b", String(repeating: "x", count: 65), "é"] { #expect(!CredentialRules.isAPIKeyName(name)) }
        for name in ["a", "web-2025.v1_x", String(repeating: "x", count: 64)] { #expect(CredentialRules.isAPIKeyName(name)) }
    }

    @Test(arguments: StoreKind.allCases)
    func aCreatedKeyIsFoundByItsDigestListedWithoutItAndSurvivesReopening(_ kind: StoreKind) async throws {
        let location = try await StoreLocation(kind)
        let backend = newKey("backend-2")
        let web = newKey("web", .publishable, expiresAt: at(86400))
        try await location.withStore(now: t0) { store in
            #expect(store.apiKey(forDigest: backend.stored.sha256, now: t0) == nil)
            let created = try await store.createAPIKey(backend)
            #expect(created.name == "backend-2")
            _ = try await store.createAPIKey(web)
            // Memory knows both at once, with no read.
            #expect(store.apiKey(forDigest: CredentialRules.hash(backend.key), now: t0)?.name == "backend-2")
            #expect(store.apiKey(forDigest: CredentialRules.hash(web.key), now: t0)?.kind == .publishable)
            #expect(store.apiKey(forDigest: CredentialRules.hash(backend.key + "x"), now: t0) == nil)
            let listed = try await store.listAPIKeys()
            #expect(listed.map(\.name) == ["backend-2", "web"])
            #expect(listed[0].kind == .secret && listed[0].createdAt == t0 && listed[0].expiresAt == nil && listed[0].revokedAt == nil)
            #expect(listed[1].expiresAt == at(86400))
        }
        try await location.withStore(now: t0) { store in
            #expect(store.apiKey(forDigest: backend.stored.sha256, now: t0)?.name == "backend-2")
            let listed = try await store.listAPIKeys()
            #expect(listed.count == 2)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aNameIsNeverTakenTwiceAndTheFirstKeyStays(_ kind: StoreKind) async throws {
        try await StoreLocation(kind).withStore(now: t0) { store in
            let first = newKey("backend")
            _ = try await store.createAPIKey(first)
            let second = newKey("backend", .publishable)
            await #expect(throws: APIKeyRefusal.nameTaken) { _ = try await store.createAPIKey(second) }
            #expect(store.apiKey(forDigest: second.stored.sha256, now: t0) == nil)
            #expect(store.apiKey(forDigest: first.stored.sha256, now: t0)?.kind == .secret)
            // Not even once revoked: a name means one key for good.
            #expect(try await store.revokeAPIKey(name: "backend", now: t0))
            await #expect(throws: APIKeyRefusal.nameTaken) { _ = try await store.createAPIKey(second) }
            #expect(try await store.listAPIKeys().count == 1)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aRevokedKeyIsRefusedAtOnceAndForGood(_ kind: StoreKind) async throws {
        let location = try await StoreLocation(kind)
        let key = newKey("old")
        let other = newKey("new")
        try await location.withStore(now: t0) { store in
            _ = try await store.createAPIKey(key)
            _ = try await store.createAPIKey(other)
            #expect(try await store.revokeAPIKey(name: "missing", now: t0) == false)
            #expect(try await store.revokeAPIKey(name: "old", now: at(5)))
            #expect(store.apiKey(forDigest: key.stored.sha256, now: at(5)) == nil)
            #expect(store.apiKey(forDigest: other.stored.sha256, now: at(5))?.name == "new")
            #expect(try await store.revokeAPIKey(name: "old", now: at(6)) == false, "revoked once")
            #expect(try await store.listAPIKeys().first { $0.name == "old" }?.revokedAt == at(5))
        }
        try await location.withStore(now: t0) { store in
            #expect(store.apiKey(forDigest: key.stored.sha256, now: at(10)) == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func anExpiredKeyIsRefusedByTheClockWithNoWrite(_ kind: StoreKind) async throws {
        try await StoreLocation(kind).withStore(now: t0) { store in
            let key = newKey("short", expiresAt: at(60))
            _ = try await store.createAPIKey(key)
            #expect(store.apiKey(forDigest: key.stored.sha256, now: at(59))?.name == "short")
            #expect(store.apiKey(forDigest: key.stored.sha256, now: at(60)) == nil)
            #expect(store.apiKey(forDigest: key.stored.sha256, now: at(3600)) == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func lastUseIsWrittenAtMostOnceAMinutePerKey(_ kind: StoreKind) async throws {
        let location = try await StoreLocation(kind)
        // A whole minute, so that the notes below fall in one minute or the next.
        let minute = Date(timeIntervalSince1970: (t0.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)
        try await location.withStore(now: t0) { store in
            _ = try await store.createAPIKey(newKey("a"))
            _ = try await store.createAPIKey(newKey("b"))
            #expect(try await store.flushAPIKeyUses() == 0)
            for second in [0.0, 10, 59] { store.noteAPIKeyUse(name: "a", now: minute.addingTimeInterval(second)) }
            store.noteAPIKeyUse(name: "b", now: minute.addingTimeInterval(30))
            #expect(try await store.flushAPIKeyUses() == 2)
            #expect(try await store.flushAPIKeyUses() == 0)
            // The minute is recorded: more uses in it write nothing.
            store.noteAPIKeyUse(name: "a", now: minute.addingTimeInterval(59))
            #expect(try await store.flushAPIKeyUses() == 0)
            store.noteAPIKeyUse(name: "a", now: minute.addingTimeInterval(61))
            #expect(try await store.flushAPIKeyUses() == 1)
            let listed = try await store.listAPIKeys()
            #expect(listed.first { $0.name == "a" }?.lastUsedAt == minute.addingTimeInterval(60))
            #expect(listed.first { $0.name == "b" }?.lastUsedAt == minute)
        }
        try await location.withStore(now: t0) { store in
            let listed = try await store.listAPIKeys()
            #expect(listed.first { $0.name == "a" }?.lastUsedAt == minute.addingTimeInterval(60))
            // What is recorded stays the floor after reopening too.
            store.noteAPIKeyUse(name: "a", now: minute.addingTimeInterval(90))
            let written = try await store.flushAPIKeyUses()
            #expect(written == 0)
        }
    }

    @Test func onSQLiteAKeyWrittenByAnotherProcessIsFollowed() async throws {
        let location = try await StoreLocation(.sqlite)
        let key = newKey("cli")
        try await location.withStore(now: t0) { daemon in
            // `mqtt-authd keys` beside the daemon: another connection on the same file.
            try await location.withStore(now: t0) { cli in _ = try await cli.createAPIKey(key) }
            #expect(daemon.apiKey(forDigest: key.stored.sha256, now: t0) == nil)
            try await daemon.followAPIKeys()
            #expect(daemon.apiKey(forDigest: key.stored.sha256, now: t0)?.name == "cli")
            try await location.withStore(now: t0) { cli in _ = try await cli.revokeAPIKey(name: "cli", now: t0) }
            try await daemon.followAPIKeys()
            #expect(daemon.apiKey(forDigest: key.stored.sha256, now: t0) == nil)
        }
    }

    @Test func onPostgreSQLAKeyAndItsRevocationReachTheOtherDaemon() async throws {
        let location = try await StoreLocation(.postgres)
        let key = newKey("shared")
        try await location.withStore(now: t0) { a in
            try await location.withStore(now: t0) { b in
                _ = try await a.createAPIKey(key)
                #expect(await eventually(seconds: 2) { b.apiKey(forDigest: key.stored.sha256, now: t0)?.name == "shared" })
                #expect(try await b.revokeAPIKey(name: "shared", now: t0))
                #expect(b.apiKey(forDigest: key.stored.sha256, now: t0) == nil, "the writer's memory changes with its commit")
                #expect(await eventually(seconds: 2) { a.apiKey(forDigest: key.stored.sha256, now: t0) == nil })
            }
        }
    }
}
