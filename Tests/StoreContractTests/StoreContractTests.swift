import Foundation
import MQTTAuthCore
import MQTTAuthStore
import TestSupport
import Testing

/// What every credential store promises (docs/architecture.md §4, §9), run against SQLite and
/// against PostgreSQL.
@Suite("Store contract")
struct StoreContractTests {
    @Test(arguments: StoreKind.allCases)
    func issuedCredentialVerifies(_ kind: StoreKind) async throws {
        try await StoreLocation(kind).withStore(now: t0) { store in
            let issued = try await store.issue("alice")
            #expect(issued.username == "alice")
            #expect(issued.password.count == 43)
            #expect(issued.expiresAt == at(3600))
            #expect(store.check(username: "alice", password: issued.password, now: t0).expiresAt == at(3600))
            #expect(await store.verify(username: "alice", password: issued.password, now: t0) == at(3600))
            #expect(store.activeCount(now: t0) == 1)
            #expect(store.health == .ok)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func wrongPasswordsAndUnknownUsersAreRefused(_ kind: StoreKind) async throws {
        try await StoreLocation(kind).withStore(now: t0) { store in
            let alice = try await store.issue("alice")
            let bob = try await store.issue("bob")
            for (username, password) in [("alice", CredentialRules.newPassword()), ("alice", bob.password), ("alice", ""),
                                         ("alice", String(alice.password.dropLast())), ("carol", alice.password), ("Alice", alice.password)] {
                #expect(await store.verify(username: username, password: password, now: t0) == nil)
            }
            #expect(await store.verify(username: "bob", password: bob.password, now: t0) != nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func expiredCredentialsNeverVerify(_ kind: StoreKind) async throws {
        try await StoreLocation(kind).withStore(now: t0) { store in
            let issued = try await store.issue("alice", expiresAt: at(60))
            #expect(await store.verify(username: "alice", password: issued.password, now: at(59)) == at(60))
            #expect(await store.verify(username: "alice", password: issued.password, now: at(60)) == nil)
            #expect(await store.verify(username: "alice", password: issued.password, now: at(61)) == nil)
            await #expect(throws: (any Error).self) {
                _ = try await store.issue("bob", expiresAt: at(0.5), now: t0)
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func invalidUsernamesAreRefusedAndNothingIsStored(_ kind: StoreKind) async throws {
        try await StoreLocation(kind).withStore(now: t0) { store in
            for name in ["", "a/b", "+", "#", "x\u{0}y", String(repeating: "a", count: 129)] {
                await #expect(throws: CredentialError.self) { _ = try await store.issue("s", username: name) }
            }
            #expect(store.activeCount(now: t0) == 0)
        }
    }

    /// Attributes are per user, replaced at each exchange (the latest wins), set by a token
    /// login too, and kept when the store is opened again.
    @Test(arguments: StoreKind.allCases)
    func attributesFollowTheLatestExchangeAndSurviveAReopen(_ kind: StoreKind) async throws {
        let location = try await StoreLocation(kind)
        let acme = UserAttributes(["org": ["acme"], "roles": ["admin", "dev"]])
        let globex = UserAttributes(["org": ["globex"]])
        try await location.withStore(now: t0) { store in
            #expect(store.attributes(of: "alice") == .none)
            _ = try await store.issue(provider: "supabase", subject: "alice", username: "alice", expiresAt: at(3600),
                                      maxPerUser: 20, attributes: acme, now: t0)
            #expect(store.attributes(of: "alice") == acme)
            _ = try await store.issue(provider: "supabase", subject: "alice", username: "alice", expiresAt: at(3600),
                                      maxPerUser: 20, attributes: globex, now: t0)
            #expect(store.attributes(of: "alice") == globex, "the latest exchange wins")
            let bob = try await store.bindIdentity(provider: "supabase", subject: "bob", username: "bob", attributes: acme, now: t0)
            #expect(store.attributes(of: bob) == acme, "a token login needs no credential")
            _ = try await store.issue(provider: "supabase", subject: "carol", username: "carol", expiresAt: at(3600),
                                      maxPerUser: 20, attributes: acme, now: t0)
            _ = try await store.issue("carol")
            #expect(store.attributes(of: "carol") == .none, "an exchange without attributes clears them")
        }
        try await location.withStore(now: t0) { store in
            #expect(store.attributes(of: "alice") == globex)
            #expect(store.attributes(of: "bob") == acme)
            #expect(store.attributes(of: "carol") == .none)
        }
    }

    /// `bindIdentity` (a token used as the MQTT password) binds as `issue` does, and the two
    /// agree on every identity's name.
    @Test(arguments: StoreKind.allCases)
    func bindingWithoutACredentialFollowsTheSameRules(_ kind: StoreKind) async throws {
        try await StoreLocation(kind).withStore(now: t0) { store in
            let first = try await store.bindIdentity(provider: "supabase", subject: "sub-1", username: "john", now: t0)
            let again = try await store.bindIdentity(provider: "supabase", subject: "sub-1", username: "johnny", now: t0)
            let other = try await store.bindIdentity(provider: "supabase", subject: "sub-2", username: "john", now: t0)
            #expect(first == "john")
            #expect(again == "john", "a binding is for good")
            #expect(other == CredentialRules.disambiguated("john", provider: "supabase", subject: "sub-2", attempt: 0))
            let issued = try await store.issue("sub-1", username: "renamed")
            #expect(issued.username == "john", "issue finds the binding bindIdentity made")
            let exchanged = try await store.issue("sub-3", username: "alice")
            #expect(try await store.bindIdentity(provider: "supabase", subject: "sub-3", username: "x", now: t0) == exchanged.username)
            #expect(try await store.bindIdentity(provider: "firebase", subject: "sub-3", username: "alice", now: t0)
                    == CredentialRules.disambiguated("alice", provider: "firebase", subject: "sub-3", attempt: 0))
            await #expect(throws: CredentialError.self) {
                _ = try await store.bindIdentity(provider: "supabase", subject: "sub-4", username: "a/b", now: t0)
            }
            #expect(store.activeCount(now: t0) == 2, "binding issues no credential")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func anIdentityKeepsItsUsernameAndOthersGetASuffix(_ kind: StoreKind) async throws {
        try await StoreLocation(kind).withStore(now: t0) { store in
            let first = try await store.issue("sub-1", username: "john_doe_example_com")
            let second = try await store.issue("sub-2", username: "john_doe_example_com")
            let again = try await store.issue("sub-1", username: "renamed")
            #expect(first.username == "john_doe_example_com")
            #expect(second.username == CredentialRules.disambiguated("john_doe_example_com", provider: "supabase", subject: "sub-2", attempt: 0))
            #expect(again.username == first.username)
            #expect(await store.verify(username: second.username, password: second.password, now: t0) != nil)
            #expect(await store.verify(username: first.username, password: second.password, now: t0) == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func onlyTheNewestMaxPerUserStay(_ kind: StoreKind) async throws {
        try await StoreLocation(kind).withStore(now: t0) { store in
            var issued: [IssuedCredential] = []
            for _ in 0..<4 { issued.append(try await store.issue("alice", maxPerUser: 2)) }
            #expect(await store.verify(username: "alice", password: issued[0].password, now: t0) == nil)
            #expect(await store.verify(username: "alice", password: issued[1].password, now: t0) == nil)
            #expect(await store.verify(username: "alice", password: issued[2].password, now: t0) != nil)
            #expect(await store.verify(username: "alice", password: issued[3].password, now: t0) != nil)
            #expect(store.activeCount(now: t0) == 2)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func purgeRemovesExpiredOnly(_ kind: StoreKind) async throws {
        try await StoreLocation(kind).withStore(now: t0) { store in
            _ = try await store.issue("alice", expiresAt: at(10))
            _ = try await store.issue("bob", expiresAt: at(10))
            let carol = try await store.issue("carol", expiresAt: at(100))
            #expect(try await store.purgeExpired(now: at(5)) == 0)
            #expect(try await store.purgeExpired(now: at(20)) == 2)
            #expect(try await store.purgeExpired(now: at(20)) == 0)
            #expect(store.activeCount(now: t0) == 1)
            #expect(await store.verify(username: "carol", password: carol.password, now: at(20)) == at(100))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func answeredCredentialsSurviveReopening(_ kind: StoreKind) async throws {
        let location = try await StoreLocation(kind)
        let issued = try await location.withStore(now: t0) { store in
            try await store.issue("alice")
        }
        try await location.withStore(now: t0) { store in
            #expect(store.check(username: "alice", password: issued.password, now: t0).expiresAt == at(3600))
            let again = try await store.issue("alice", username: "other")
            #expect(again.username == "alice")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentExchangesOfCollidingNamesNeverShareOne(_ kind: StoreKind) async throws {
        try await StoreLocation(kind).withStore(now: t0) { store in
            let subjects = (0..<40).map { "subject-\($0)" }
            let names = try await withThrowingTaskGroup(of: (String, String).self) { group in
                for subject in subjects + subjects {
                    group.addTask { (subject, try await store.issue(subject, username: "same_name").username) }
                }
                var names: [String: Set<String>] = [:]
                for try await (subject, name) in group { names[subject, default: []].insert(name) }
                return names
            }
            #expect(names.values.allSatisfy { $0.count == 1 }, "an identity got two names")
            let all = names.values.compactMap(\.first)
            #expect(Set(all).count == subjects.count, "two identities share a name")
            #expect(all.contains("same_name"))
        }
    }
}
