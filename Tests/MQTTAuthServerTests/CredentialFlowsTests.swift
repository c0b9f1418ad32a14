import Foundation
import Logging
import MQTTAuthCore
import MQTTAuthServer
import MQTTAuthStore
import Testing

/// The exchange and refresh decisions without HTTP (`CredentialFlows`): what they issue and
/// which `FlowError` they give, on a real store. The router tests check how HTTP says it.
@Suite("Credential flows")
struct CredentialFlowsTests {
    static func flows(_ fixture: ServerFixture) -> CredentialFlows {
        CredentialFlows(store: fixture.parts.store, now: fixture.parts.now)
    }

    static func exchange(_ fixture: ServerFixture, subject: String = "alice", key: String = "backend", provider: String = "supabase",
                         token: String? = nil) async throws(FlowError) -> CredentialFlows.Issued {
        let minted = (try? await fixture.token(subject: subject)) ?? ""
        return try await flows(fixture).exchange(
            CredentialFlows.Exchange(apiKey: key, provider: provider, token: token ?? minted),
            runtime: fixture.parts.runtime.current, logger: .init(label: "test"))
    }

    @Test func anExchangeStoresACredentialForTheTokensUser() async throws {
        let fixture = try ServerFixture()
        let issued = try await Self.exchange(fixture)
        #expect(issued.subject == "alice")
        #expect(issued.provider == "supabase")
        #expect(issued.at == fixture.now)
        #expect(issued.credential.expiresAt == fixture.now.addingTimeInterval(3600))
        #expect(await fixture.parts.store.verify(username: "alice", password: issued.credential.password, now: fixture.now) != nil)
        let stored = try await fixture.parts.store.credential(tokenID: issued.credential.tokenID, now: fixture.now)
        #expect(stored?.apiKey == "backend", "the exchange records the API key")
    }

    @Test func exchangeRefusalsAreTypedAndStoreNothing() async throws {
        let fixture = try ServerFixture()
        await #expect(throws: FlowError.providerNotFound("no provider named 'nope'")) { _ = try await Self.exchange(fixture, provider: "nope") }
        await #expect(throws: FlowError.providerNotFound("provider 'off' is disabled")) { _ = try await Self.exchange(fixture, provider: "off") }
        let forged = try await fixture.token(subject: "alice", secret: "another-secret-of-sufficient-length!!")
        do {
            _ = try await Self.exchange(fixture, token: forged)
            Issue.record("a forged token was exchanged")
        } catch {
            guard case .refused(let code, _) = error else { Issue.record("\(error)"); return }
            #expect(code == "invalid_token")
        }
        #expect(fixture.parts.store.activeCount(now: fixture.now) == 0)
    }

    @Test func aRefreshKeepsTheUserAndRefusesEverythingElseAlike() async throws {
        let fixture = try ServerFixture()
        let first = try await Self.exchange(fixture)
        let flows = Self.flows(fixture)
        let runtime = fixture.parts.runtime.current
        let logger = Logger(label: "test")
        let refreshed = try await flows.refresh(
            CredentialFlows.Refresh(apiKey: "backend", tokenID: first.credential.tokenID, password: first.credential.password),
            runtime: runtime, logger: logger)
        #expect(refreshed.credential.username == first.credential.username)
        #expect(refreshed.subject == "alice")
        for request in [
            CredentialFlows.Refresh(apiKey: "other", tokenID: first.credential.tokenID, password: first.credential.password),
            CredentialFlows.Refresh(apiKey: "backend", tokenID: first.credential.tokenID, password: "wrong"),
            CredentialFlows.Refresh(apiKey: "backend", tokenID: CredentialRules.newTokenID(), password: first.credential.password),
        ] {
            await #expect(throws: FlowError.notRefreshable) { _ = try await flows.refresh(request, runtime: runtime, logger: logger) }
        }
        _ = try await fixture.parts.store.terminate(username: "alice", blockUntil: fixture.now.addingTimeInterval(60), now: fixture.now)
        await #expect(throws: FlowError.blocked(until: fixture.now.addingTimeInterval(60))) { _ = try await Self.exchange(fixture) }
    }
}
