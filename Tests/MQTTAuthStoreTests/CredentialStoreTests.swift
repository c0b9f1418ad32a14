import Foundation
import MQTTAuthCore
import MQTTAuthStore
import TestSupport
import Testing

@Suite("Credential store: issue, authenticate, expire, cap, purge")
struct CredentialStoreTests {
    @Test func issuedCredentialAuthenticates() async throws {
        let folder = try TempFolder()
        let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        let issued = try await store.issue("alice")
        #expect(issued.username == "alice")
        #expect(issued.password.count == 43)
        #expect(issued.expiresAt == at(3600))
        #expect(store.expiry(username: "alice", password: issued.password, now: t0) == at(3600))
        #expect(store.activeCount(now: t0) == 1)
    }

    @Test func wrongPasswordOrUnknownUserIsNil() async throws {
        let folder = try TempFolder()
        let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        let alice = try await store.issue("alice")
        let bob = try await store.issue("bob")
        #expect(store.expiry(username: "alice", password: CredentialRules.newPassword(), now: t0) == nil)
        #expect(store.expiry(username: "alice", password: bob.password, now: t0) == nil)
        #expect(store.expiry(username: "alice", password: "", now: t0) == nil)
        #expect(store.expiry(username: "alice", password: String(alice.password.dropLast()), now: t0) == nil)
        #expect(store.expiry(username: "carol", password: alice.password, now: t0) == nil)
        #expect(store.expiry(username: "Alice", password: alice.password, now: t0) == nil)
        #expect(store.expiry(username: "bob", password: bob.password, now: t0) != nil)
    }

    @Test func expiredCredentialNeverAuthenticatesEvenBeforePurge() async throws {
        let folder = try TempFolder()
        let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        let issued = try await store.issue("alice", expiresAt: at(60))
        #expect(store.expiry(username: "alice", password: issued.password, now: at(59)) == at(60))
        #expect(store.expiry(username: "alice", password: issued.password, now: at(59.999)) == at(60))
        #expect(store.expiry(username: "alice", password: issued.password, now: at(60)) == nil)
        #expect(store.expiry(username: "alice", password: issued.password, now: at(86_400)) == nil)
        #expect(store.activeCount(now: at(59)) == 1)
        #expect(store.activeCount(now: at(60)) == 0)
    }

    @Test func expiryIsRoundedDownToAWholeSecond() async throws {
        let folder = try TempFolder()
        let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        let issued = try await store.issue("alice", expiresAt: at(3600.9))
        #expect(issued.expiresAt == at(3600))
        #expect(store.expiry(username: "alice", password: issued.password, now: at(3599.5)) == at(3600))
    }

    @Test(arguments: [0, 0.5, -10])
    func expiryNotAfterNowIsRefusedAndStoresNothing(offset: TimeInterval) async throws {
        let folder = try TempFolder()
        let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        await #expect(throws: CredentialStoreError.self) {
            try await store.issue("alice", expiresAt: at(offset))
        }
        #expect(store.activeCount(now: at(-100)) == 0)
    }

    @Test(arguments: ["", "a/b", "+", "#", "$SYS", String(repeating: "x", count: 129)])
    func invalidUsernameIsRefusedAndBindsNothing(username: String) async throws {
        let folder = try TempFolder()
        let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        await #expect(throws: CredentialError.self) {
            try await store.issue("s-1", username: username)
        }
        let issued = try await store.issue("s-1", username: "fine")
        #expect(issued.username == "fine")
    }

    @Test func earlierCredentialsStayValidUntilTheyExpire() async throws {
        let folder = try TempFolder()
        let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        let first = try await store.issue("alice", expiresAt: at(600))
        let second = try await store.issue("alice", expiresAt: at(3600), now: at(300))
        #expect(store.expiry(username: "alice", password: first.password, now: at(301)) == at(600))
        #expect(store.expiry(username: "alice", password: second.password, now: at(301)) == at(3600))
        #expect(store.expiry(username: "alice", password: first.password, now: at(600)) == nil)
        #expect(store.expiry(username: "alice", password: second.password, now: at(600)) == at(3600))
    }

    @Test func perUserCapDropsTheOldest() async throws {
        let folder = try TempFolder()
        let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        let bob = try await store.issue("bob", maxPerUser: 3)
        var issued: [IssuedCredential] = []
        for index in 0..<5 {
            // Later credentials may even expire sooner: the cap drops by age, not by expiry.
            issued.append(try await store.issue("alice", expiresAt: at(Double(3600 - index)), maxPerUser: 3))
        }
        let valid = issued.map { store.expiry(username: "alice", password: $0.password, now: t0) != nil }
        #expect(valid == [false, false, true, true, true])
        #expect(store.expiry(username: "bob", password: bob.password, now: t0) != nil)
        #expect(store.activeCount(now: t0) == 4)

        let reopened = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        let validOnDisk = issued.map { reopened.expiry(username: "alice", password: $0.password, now: t0) != nil }
        #expect(validOnDisk == [false, false, true, true, true])
    }

    @Test func capCountsOnlyUnexpiredCredentials() async throws {
        let folder = try TempFolder()
        let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        let old = try await store.issue("alice", expiresAt: at(10), maxPerUser: 2)
        let live = try await store.issue("alice", expiresAt: at(3600), maxPerUser: 2)
        // At 20 s the first has expired: it is deleted, and the cap of 2 keeps `live` and the new one.
        let new = try await store.issue("alice", expiresAt: at(3600), maxPerUser: 2, now: at(20))
        #expect(store.expiry(username: "alice", password: live.password, now: at(20)) != nil)
        #expect(store.expiry(username: "alice", password: new.password, now: at(20)) != nil)
        #expect(store.expiry(username: "alice", password: old.password, now: at(5)) == nil)
        #expect(store.activeCount(now: t0) == 2)
    }

    @Test func purgeRemovesOnlyExpiredCredentialsFromIndexAndDisk() async throws {
        let folder = try TempFolder()
        let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        _ = try await store.issue("a", expiresAt: at(60))
        _ = try await store.issue("b", expiresAt: at(120))
        let c = try await store.issue("c", expiresAt: at(3600))
        _ = try await store.issue("c", expiresAt: at(100))

        #expect(try await store.purgeExpired(now: at(120)) == 3)
        #expect(store.expiry(username: "c", password: c.password, now: at(120)) == at(3600))
        // Counted at t0, when all four were unexpired: the index holds only the survivor.
        #expect(store.activeCount(now: t0) == 1)

        // Opened "at t0", the store would load the expired rows too if they were still on disk.
        let reopened = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        #expect(reopened.activeCount(now: t0) == 1)
        #expect(reopened.expiry(username: "c", password: c.password, now: at(120)) == at(3600))
        #expect(try await reopened.purgeExpired(now: at(120)) == 0)
        #expect(try await reopened.purgeExpired(now: at(3600)) == 1)
        #expect(reopened.activeCount(now: t0) == 0)
    }

    @Test func openingLoadsOnlyUnexpiredCredentials() async throws {
        let folder = try TempFolder()
        let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        _ = try await store.issue("a", expiresAt: at(60))
        let b = try await store.issue("b", expiresAt: at(3600))
        let later = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: at(60))
        #expect(later.activeCount(now: t0) == 1)
        #expect(later.expiry(username: "b", password: b.password, now: at(60)) == at(3600))
    }
}
