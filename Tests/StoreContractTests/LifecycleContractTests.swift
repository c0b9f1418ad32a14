import Foundation
import MQTTAuthCore
import MQTTAuthStore
import TestSupport
import Testing

/// Token ids, refresh reads, revocation and blocks (docs/architecture.md §4.9–4.11), against
/// both stores.
@Suite("Store contract: lifecycle")
struct LifecycleContractTests {
    private func issue(_ store: any CredentialStore, _ subject: String, key: String = "backend", replacing: String? = nil,
                       session: Date = t0, now: Date = t0, attributes: UserAttributes = .none) async throws -> IssuedCredential {
        try await store.issue(provider: "supabase", subject: subject, username: subject, expiresAt: now.addingTimeInterval(3600),
                              maxPerUser: 20, attributes: attributes,
                              origin: CredentialOrigin(apiKey: key, sessionStartedAt: session, replacing: replacing), now: now)
    }

    @Test(arguments: StoreKind.allCases)
    func eachCredentialHasAnOpaqueTokenIDThatReadsBackWithItsOrigin(_ kind: StoreKind) async throws {
        try await StoreLocation(kind).withStore(now: t0) { store in
            let attributes = UserAttributes(["org": ["acme"]])
            let first = try await issue(store, "alice", attributes: attributes)
            let second = try await issue(store, "alice", session: at(-100))
            #expect(CredentialRules.isTokenID(first.tokenID))
            #expect(first.tokenID != second.tokenID)
            #expect(first.issuedAt == t0)
            let stored = try #require(try await store.credential(tokenID: first.tokenID, now: t0))
            #expect(stored.username == "alice")
            #expect(stored.provider == "supabase")
            #expect(stored.subject == "alice")
            #expect(stored.hash == CredentialRules.hash(first.password))
            #expect(stored.issuedAt == t0)
            #expect(stored.expiresAt == at(3600))
            #expect(stored.apiKey == "backend")
            #expect(stored.sessionStartedAt == t0)
            #expect(try await store.credential(tokenID: second.tokenID, now: t0)?.sessionStartedAt == at(-100))
            // Expired or unknown ids read as nothing.
            #expect(try await store.credential(tokenID: first.tokenID, now: at(3600)) == nil)
            #expect(try await store.credential(tokenID: CredentialRules.newTokenID(), now: t0) == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func revokingStopsOneCredentialOnlyAndOnlyForItsKeyOrAnAdmin(_ kind: StoreKind) async throws {
        try await StoreLocation(kind).withStore(now: t0) { store in
            let one = try await issue(store, "alice")
            let two = try await issue(store, "alice")
            #expect(try await store.revoke(tokenID: one.tokenID, issuedBy: "other-backend", now: t0) == false)
            #expect(await store.verify(username: "alice", password: one.password, now: t0) != nil)
            #expect(try await store.revoke(tokenID: one.tokenID, issuedBy: "backend", now: t0))
            #expect(await store.verify(username: "alice", password: one.password, now: t0) == nil)
            #expect(store.check(username: "alice", password: one.password, now: t0).expiresAt != at(3600))
            #expect(await store.verify(username: "alice", password: two.password, now: t0) != nil)
            #expect(try await store.credential(tokenID: one.tokenID, now: t0) == nil)
            // Revoking again changes nothing; an admin (no issuer) may revoke any.
            #expect(try await store.revoke(tokenID: one.tokenID, issuedBy: nil, now: t0) == false)
            #expect(try await store.revoke(tokenID: two.tokenID, issuedBy: nil, now: t0))
            #expect(await store.verify(username: "alice", password: two.password, now: t0) == nil)
            #expect(store.activeCount(now: t0) == 0)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func terminatingRevokesEveryCredentialOfTheUserAndBlocksNewOnes(_ kind: StoreKind) async throws {
        try await StoreLocation(kind).withStore(now: t0) { store in
            let alice = [try await issue(store, "alice"), try await issue(store, "alice")]
            let bob = try await issue(store, "bob")
            #expect(try await store.terminate(username: "nobody", blockUntil: at(900), now: t0) == nil)
            #expect(try await store.terminate(username: "alice", blockUntil: at(900), now: t0) == 2)
            for credential in alice {
                #expect(await store.verify(username: "alice", password: credential.password, now: t0) == nil)
            }
            #expect(await store.verify(username: "bob", password: bob.password, now: t0) != nil)
            #expect(store.blockedUntil("alice", now: t0) == at(900))
            #expect(store.blockedUntil("alice", now: at(900)) == nil)
            #expect(store.blockedUntil("bob", now: t0) == nil)
            await #expect(throws: IssueRefusal.blocked(until: at(900))) { _ = try await issue(store, "alice", now: at(1)) }
            await #expect(throws: IssueRefusal.blocked(until: at(900))) {
                _ = try await store.bindIdentity(provider: "supabase", subject: "alice", username: "alice", now: at(1))
            }
            // A shorter block does not shorten the first; after it, exchanges work again. (Blocks
            // last longer than a test run: a PostgreSQL store re-reads them with the real clock.)
            #expect(try await store.terminate(username: "alice", blockUntil: at(100), now: at(2)) == 0)
            #expect(store.blockedUntil("alice", now: at(300)) == at(900))
            let after = try await issue(store, "alice", now: at(901))
            #expect(await store.verify(username: "alice", password: after.password, now: at(901)) != nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aRefreshIsStoredOnlyWhileTheCredentialItReplacesIs(_ kind: StoreKind) async throws {
        try await StoreLocation(kind).withStore(now: t0) { store in
            let first = try await issue(store, "alice")
            let refreshed = try await issue(store, "alice", replacing: first.tokenID, now: at(10))
            // The old one stays valid until its own expiry.
            #expect(await store.verify(username: "alice", password: first.password, now: at(10)) != nil)
            #expect(await store.verify(username: "alice", password: refreshed.password, now: at(10)) != nil)
            #expect(try await store.revoke(tokenID: first.tokenID, issuedBy: nil, now: at(11)))
            await #expect(throws: IssueRefusal.replacedCredentialGone) {
                _ = try await issue(store, "alice", replacing: first.tokenID, now: at(12))
            }
            // Another user's token id is not this user's credential.
            let bob = try await issue(store, "bob")
            await #expect(throws: IssueRefusal.replacedCredentialGone) {
                _ = try await issue(store, "alice", replacing: bob.tokenID, now: at(12))
            }
            #expect(store.activeCount(now: at(12)) == 2)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func revocationsAndBlocksSurviveAReopen(_ kind: StoreKind) async throws {
        let location = try await StoreLocation(kind)
        let (revoked, kept) = try await location.withStore(now: t0) { store in
            let revoked = try await issue(store, "alice")
            let kept = try await issue(store, "bob")
            #expect(try await store.revoke(tokenID: revoked.tokenID, issuedBy: "backend", now: t0))
            #expect(try await store.terminate(username: "carol", blockUntil: nil, now: t0) == nil)
            _ = try await issue(store, "dave")
            #expect(try await store.terminate(username: "dave", blockUntil: at(600), now: t0) == 1)
            return (revoked, kept)
        }
        try await location.withStore(now: at(1)) { store in
            #expect(await store.verify(username: "alice", password: revoked.password, now: at(1)) == nil)
            #expect(await store.verify(username: "bob", password: kept.password, now: at(1)) != nil)
            #expect(store.blockedUntil("dave", now: at(1)) == at(600))
        }
    }
}
