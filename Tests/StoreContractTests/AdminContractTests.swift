import Foundation
import MQTTAuthCore
import MQTTAuthStore
import TestSupport
import Testing

/// What the admin API reads from a store (README "Admin API"): a user's credentials, live and
/// revoked but unexpired, and the counts; against both stores.
@Suite("Store contract: admin reads")
struct AdminContractTests {
    private func issue(_ store: any CredentialStore, _ subject: String, provider: String = "supabase", now: Date = t0,
                       expiresAt: Date = at(3600)) async throws -> IssuedCredential {
        try await store.issue(provider: provider, subject: subject, username: subject, expiresAt: expiresAt, maxPerUser: 20,
                              attributes: .none, origin: CredentialOrigin(apiKey: "backend", sessionStartedAt: now), now: now)
    }

    @Test(arguments: StoreKind.allCases)
    func aUsersCredentialsListLiveAndRevokedOnesOldestFirstUntilTheyExpire(_ kind: StoreKind) async throws {
        try await StoreLocation(kind).withStore(now: t0) { store in
            let first = try await issue(store, "alice", now: t0, expiresAt: at(600))
            let second = try await issue(store, "alice", now: at(10), expiresAt: at(3600))
            let third = try await issue(store, "alice", now: at(20), expiresAt: at(1200))
            _ = try await issue(store, "bob", provider: "firebase")
            #expect(try await store.revoke(tokenID: second.tokenID, issuedBy: nil, now: at(30)))

            let listed = try #require(try await store.credentials(of: "alice", now: at(40)))
            #expect(listed == [
                CredentialListing(tokenID: first.tokenID, provider: "supabase", issuedAt: t0, expiresAt: at(600), revokedAt: nil),
                CredentialListing(tokenID: second.tokenID, provider: "supabase", issuedAt: at(10), expiresAt: at(3600), revokedAt: at(30)),
                CredentialListing(tokenID: third.tokenID, provider: "supabase", issuedAt: at(20), expiresAt: at(1200), revokedAt: nil),
            ])
            // Expired credentials, live or revoked, are no longer listed.
            #expect(try await store.credentials(of: "alice", now: at(600)).map { $0.map(\.tokenID) } == [second.tokenID, third.tokenID])
            #expect(try await store.credentials(of: "alice", now: at(3600)) == [])
            #expect(try await store.credentials(of: "bob", now: t0).map { $0.map(\.provider) } == ["firebase"])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aTerminatedUserIsListedWithEveryCredentialRevokedAndAnUnknownOneIsNil(_ kind: StoreKind) async throws {
        try await StoreLocation(kind).withStore(now: t0) { store in
            _ = try await issue(store, "carol")
            _ = try await issue(store, "carol")
            #expect(try await store.terminate(username: "carol", blockUntil: nil, now: at(5)) == 2)
            let listed = try #require(try await store.credentials(of: "carol", now: at(6)))
            #expect(listed.count == 2)
            #expect(listed.allSatisfy { $0.revokedAt == at(5) })
            #expect(try await store.credentials(of: "nobody", now: t0) == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func theCountsAreUnexpiredLiveCredentialsAndEveryIdentity(_ kind: StoreKind) async throws {
        try await StoreLocation(kind).withStore(now: t0) { store in
            #expect(try await store.counts(now: t0) == StoreCounts(activeCredentials: 0, users: 0))
            let one = try await issue(store, "alice", expiresAt: at(600))
            _ = try await issue(store, "alice")
            _ = try await issue(store, "bob")
            _ = try await store.bindIdentity(provider: "supabase", subject: "dave", username: "dave", now: t0)
            #expect(try await store.counts(now: t0) == StoreCounts(activeCredentials: 3, users: 3))
            #expect(try await store.revoke(tokenID: one.tokenID, issuedBy: nil, now: t0))
            #expect(try await store.counts(now: t0) == StoreCounts(activeCredentials: 2, users: 3))
            #expect(try await store.counts(now: at(3600)) == StoreCounts(activeCredentials: 0, users: 3))
        }
    }
}
