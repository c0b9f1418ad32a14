import Foundation
import MQTTAuthCore
import MQTTAuthStore
import TestSupport
import Testing

@Suite("Credential store: username bindings")
struct UsernameBindingTests {
    @Test func twoIdentitiesWithTheSameDerivedNameGetDistinctNames() async throws {
        let folder = try TempFolder()
        let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        let first = try await store.issue("s-1", username: "john")
        let second = try await store.issue("s-2", username: "john")
        #expect(first.username == "john")
        #expect(second.username == CredentialRules.disambiguated("john", provider: "supabase", subject: "s-2"))
        #expect(store.expiry(username: first.username, password: first.password, now: t0) != nil)
        #expect(store.expiry(username: second.username, password: second.password, now: t0) != nil)
        #expect(store.expiry(username: first.username, password: second.password, now: t0) == nil)
        #expect(store.expiry(username: second.username, password: first.password, now: t0) == nil)
    }

    @Test func theSameSubjectAtAnotherProviderIsAnotherIdentity() async throws {
        let folder = try TempFolder()
        let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        let supabase = try await store.issue("s-1", provider: "supabase")
        let firebase = try await store.issue("s-1", provider: "firebase")
        #expect(supabase.username == "s-1")
        #expect(firebase.username == CredentialRules.disambiguated("s-1", provider: "firebase", subject: "s-1"))
    }

    @Test func anIdentityAlwaysGetsItsStoredName() async throws {
        let folder = try TempFolder()
        let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        _ = try await store.issue("s-1", username: "john")
        let suffixed = try await store.issue("s-2", username: "john").username
        #expect(try await store.issue("s-2", username: "john").username == suffixed)
        // A new derived name (say the user changed their email) does not rename the user.
        #expect(try await store.issue("s-1", username: "johnny").username == "john")
        #expect(try await store.issue("s-2", username: "jack").username == suffixed)

        let reopened = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        #expect(try await reopened.issue("s-2", username: "john").username == suffixed)
        #expect(try await reopened.issue("s-1", username: "john").username == "john")
    }

    @Test func namesAreDeterministicAcrossDatabases() async throws {
        var runs: [[String]] = []
        for _ in 0..<2 {
            let folder = try TempFolder()
            let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
            var names: [String] = []
            for subject in ["s-1", "s-2", "s-3"] {
                names.append(try await store.issue(subject, username: "john").username)
            }
            runs.append(names)
        }
        #expect(runs[0] == runs[1])
        #expect(Set(runs[0]).count == 3)
    }

    @Test func aTakenSuffixedNameMovesToTheNextAttempt() async throws {
        let folder = try TempFolder()
        let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        let squatted = CredentialRules.disambiguated("john", provider: "supabase", subject: "s-2")
        #expect(try await store.issue("squatter", username: squatted).username == squatted)
        #expect(try await store.issue("s-1", username: "john").username == "john")
        let second = try await store.issue("s-2", username: "john").username
        #expect(second == CredentialRules.disambiguated("john", provider: "supabase", subject: "s-2", attempt: 1))
    }

    @Test func aLongNameStaysWithin128BytesWhenSuffixed() async throws {
        let folder = try TempFolder()
        let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        let long = try CredentialRules.username(source: .email, subject: "s-1", email: String(repeating: "x", count: 300) + "@example.com")
        #expect(try await store.issue("s-1", username: long).username == long)
        let second = try await store.issue("s-2", username: long)
        #expect(second.username != long)
        #expect(second.username.utf8.count <= 128)
        try CredentialRules.validateUsername(second.username)
        #expect(store.expiry(username: second.username, password: second.password, now: t0) != nil)
    }
}
