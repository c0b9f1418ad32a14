import Foundation
import Hummingbird
import HummingbirdTesting
import MQTTAuthCore
import MQTTAuthServer
import MQTTAuthStore
import NIOCore
import Testing

/// Refresh, revocation and terminate through the router (README "Refresh and revocation").
@Suite("Refresh and revocation")
struct LifecycleRouterTests {
    static let otherKey = "sk_test_other_backend"
    static let adminKey = "adm_test_admin_key_0123456789"
    static let publishableKey = "pk_test_web_page"

    static func fixture(credentials: String = "") throws -> ServerFixture {
        try ServerFixture(
            extraYAML: """
                admin_keys:
                  - name: ops
                    key: "\(adminKey)"
                """,
            apiKeysYAML: """
                  - name: other
                    key: "\(otherKey)"
                  - name: web
                    key: "\(publishableKey)"
                """,
            credentialsYAML: credentials
        )
    }

    /// An exchange's answer: username, password, token id.
    static func exchange(_ client: some TestClientProtocol, _ fixture: ServerFixture, subject: String = "alice") async throws -> (String, String, String) {
        let token = try await fixture.token(subject: subject)
        let response = try await client.exchange(#"{"provider":"supabase","token":"\#(token)"}"#)
        #expect(response.status == .ok)
        let body = try response.json()
        return (try #require(body["mqtt_username"] as? String), try #require(body["mqtt_password"] as? String),
                try #require(body["token_id"] as? String))
    }

    static func post(_ client: some TestClientProtocol, _ uri: String, _ body: String, key: String?) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    static func refresh(_ client: some TestClientProtocol, _ tokenID: String, _ password: String, key: String? = ServerFixture.apiKey) async throws -> TestResponse {
        try await post(client, "/v2/tokens/refresh", #"{"token_id":"\#(tokenID)","current_token_password":"\#(password)"}"#, key: key)
    }

    static func delete(_ client: some TestClientProtocol, _ tokenID: String, key: String?) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await client.execute(uri: "/v2/tokens/\(tokenID)", method: .delete, headers: headers)
    }

    @Test func theExchangeAnswerCarriesATokenIDAndWhenToRefresh() async throws {
        let fixture = try Self.fixture()
        try await fixture.application.test(.router) { client in
            let token = try await fixture.token()
            let body = try await client.exchange(#"{"provider":"supabase","token":"\#(token)"}"#).json()
            #expect(CredentialRules.isTokenID(body["token_id"] as? String ?? ""))
            // 90% of 3,600 s after 2030-03-17T17:46:40Z.
            #expect(body["refresh_recommended_at"] as? String == "2030-03-17T18:40:40Z")
        }
    }

    @Test func aRefreshIssuesANewCredentialForTheSameUserAndKeepsTheOldOne() async throws {
        let fixture = try Self.fixture()
        try await fixture.application.test(.router) { client in
            let (username, password, tokenID) = try await Self.exchange(client, fixture)
            fixture.clock.set(fixture.now.addingTimeInterval(600))
            let response = try await Self.refresh(client, tokenID, password)
            #expect(response.status == .ok)
            let body = try response.json()
            let newPassword = try #require(body["mqtt_password"] as? String)
            #expect(body["mqtt_username"] as? String == username)
            #expect(newPassword != password)
            #expect(body["token_id"] as? String != tokenID)
            #expect(body["expires_in"] as? Int == 3600, "the same lifetime as the one it replaces")
            #expect(body["provider"] as? String == "supabase")
            #expect(body["user_id"] as? String == "alice")
            let now = fixture.clock.now
            #expect(await fixture.parts.store.verify(username: username, password: newPassword, now: now) != nil)
            #expect(await fixture.parts.store.verify(username: username, password: password, now: now) != nil)
        }
    }

    @Test func refusedRefreshesAllLookAlike() async throws {
        let fixture = try Self.fixture()
        try await fixture.application.test(.router) { client in
            let (_, password, tokenID) = try await Self.exchange(client, fixture)
            let (_, bobPassword, bobTokenID) = try await Self.exchange(client, fixture, subject: "bob")
            #expect(try await Self.delete(client, bobTokenID, key: ServerFixture.apiKey).status == .ok)
            let refusals = [
                try await Self.refresh(client, tokenID, CredentialRules.newPassword()),
                try await Self.refresh(client, tokenID, bobPassword),
                try await Self.refresh(client, CredentialRules.newTokenID(), password),
                try await Self.refresh(client, tokenID, password, key: Self.otherKey),
                try await Self.refresh(client, bobTokenID, bobPassword),
            ]
            for response in refusals {
                #expect(response.status == .unauthorized)
                #expect(try response.json()["error"] as? String == "invalid_token")
                #expect(try response.json()["message"] as? String == "this credential cannot be refreshed")
            }
            #expect(try await Self.refresh(client, tokenID, password, key: Self.adminKey).status == .forbidden)
            #expect(try await Self.refresh(client, tokenID, password, key: Self.publishableKey).status == .forbidden)
            #expect(try await Self.delete(client, tokenID, key: Self.publishableKey).status == .forbidden)
            #expect(try await Self.refresh(client, tokenID, password, key: nil).status == .unauthorized)
            #expect(try await Self.refresh(client, tokenID, password, key: "sk_wrong").status == .unauthorized)
            for body in ["not json", "{}", #"{"token_id":"\#(tokenID)"}"#, #"{"token_id":"tok_short","current_token_password":"x"}"#,
                         #"{"token_id":7,"current_token_password":"x"}"#] {
                let response = try await Self.post(client, "/v2/tokens/refresh", body, key: ServerFixture.apiKey)
                #expect(response.status == .badRequest, "\(body)")
                #expect(try response.json()["error"] as? String == "invalid_request")
            }
            let huge = String(repeating: "x", count: 70_000)
            #expect(try await Self.post(client, "/v2/tokens/refresh", huge, key: ServerFixture.apiKey).status == .contentTooLarge)
            // Nothing above issued anything: the first credential still refreshes.
            #expect(try await Self.refresh(client, tokenID, password).status == .ok)
        }
    }

    @Test func aRefreshChainEndsAtMaxSession() async throws {
        let fixture = try Self.fixture(credentials: "  max_session: 5000")
        try await fixture.application.test(.router) { client in
            let (_, password, tokenID) = try await Self.exchange(client, fixture)
            fixture.clock.set(fixture.now.addingTimeInterval(3000))
            let first = try await Self.refresh(client, tokenID, password)
            #expect(try first.json()["expires_in"] as? Int == 2000, "capped at the session's end")
            let next = try first.json()
            fixture.clock.set(fixture.now.addingTimeInterval(4999.5))
            let last = try await Self.refresh(client, try #require(next["token_id"] as? String), try #require(next["mqtt_password"] as? String))
            #expect(last.status == .unauthorized)
            #expect(try last.json()["error"] as? String == "token_expired")
        }
        let off = try Self.fixture(credentials: "  max_session: 0")
        try await off.application.test(.router) { client in
            let (_, password, tokenID) = try await Self.exchange(client, off)
            let response = try await Self.refresh(client, tokenID, password)
            #expect(response.status == .unauthorized)
            #expect(try response.json()["error"] as? String == "token_expired")
        }
    }

    @Test func aRevokedCredentialNoLongerAuthenticates() async throws {
        let fixture = try Self.fixture()
        try await fixture.application.test(.router) { client in
            let (username, password, tokenID) = try await Self.exchange(client, fixture)
            let (_, adminPassword, adminTokenID) = try await Self.exchange(client, fixture)
            #expect(try await Self.delete(client, tokenID, key: nil).status == .unauthorized)
            #expect(try await Self.delete(client, tokenID, key: Self.otherKey).status == .notFound, "another key's credential")
            #expect(try await Self.delete(client, "not-a-token-id", key: ServerFixture.apiKey).status == .badRequest)
            let revoked = try await Self.delete(client, tokenID, key: ServerFixture.apiKey)
            #expect(revoked.status == .ok)
            #expect(try revoked.json()["revoked"] as? Bool == true)
            #expect(try await Self.delete(client, tokenID, key: ServerFixture.apiKey).status == .notFound, "already revoked")
            let auth = try await client.execute(uri: "/mqtt/auth", method: .post, headers: [.contentType: "application/json"],
                                                body: ByteBuffer(string: #"{"username":"\#(username)","password":"\#(password)"}"#))
            #expect(auth.status == .forbidden)
            #expect(try await Self.delete(client, adminTokenID, key: Self.adminKey).status == .ok, "an admin revokes any")
            #expect(await fixture.parts.store.verify(username: username, password: adminPassword, now: fixture.now) == nil)
            let metrics = try await client.execute(uri: "/metrics", method: .get).text
            #expect(metrics.contains(#"mqtt_authd_admin_actions_total{action="revoke_token"} 2"#), "\(metrics)")
            #expect(metrics.contains(#"mqtt_authd_http_requests_total{endpoint="revoke",status="200"} 2"#))
            #expect(!metrics.contains(password) && !metrics.contains(ServerFixture.apiKey) && !metrics.contains(Self.adminKey))
        }
    }

    @Test func theRevocationFeedListsRevokedTokenIDsSinceACursor() async throws {
        let fixture = try Self.fixture()
        try await fixture.application.test(.router) { client in
            let (_, _, first) = try await Self.exchange(client, fixture)
            let (_, _, second) = try await Self.exchange(client, fixture, subject: "bob")
            #expect(try await Self.delete(client, first, key: ServerFixture.apiKey).status == .ok)
            fixture.clock.set(fixture.now.addingTimeInterval(100))
            #expect(try await Self.delete(client, second, key: ServerFixture.apiKey).status == .ok)
            let now = Int(fixture.now.timeIntervalSince1970)
            let all = try await client.execute(uri: "/v2/revocations?since=\(now)", method: .get).json()
            #expect(all["token_ids"] as? [String] == [first, second])
            #expect(all["cursor"] as? Int == now + 100)
            #expect(all["complete"] as? Bool == true)
            let later = try await client.execute(uri: "/v2/revocations?since=\(now + 50)", method: .get).json()
            #expect(later["token_ids"] as? [String] == [second])
            // Without a cursor: the last minute.
            #expect(try await client.execute(uri: "/v2/revocations", method: .get).json()["token_ids"] as? [String] == [second])
            for bad in ["x", "-1", "1.5", "99999999999999"] {
                #expect(try await client.execute(uri: "/v2/revocations?since=\(bad)", method: .get).status == .badRequest, "\(bad)")
            }
        }
    }

    @Test func terminatingAUserRevokesEverythingAndMayBlockNewExchanges() async throws {
        let fixture = try Self.fixture()
        try await fixture.application.test(.router) { client in
            let (username, password, _) = try await Self.exchange(client, fixture)
            _ = try await Self.exchange(client, fixture)
            let (bob, bobPassword, _) = try await Self.exchange(client, fixture, subject: "bob")
            let path = "/v2/users/\(username)/terminate"
            #expect(try await Self.post(client, path, "", key: ServerFixture.apiKey).status == .forbidden, "an exchange key")
            #expect(try await Self.post(client, path, "", key: nil).status == .unauthorized)
            for body in ["nope", #"{"block_seconds":-1}"#, #"{"block_seconds":99999999999}"#, #"{"block_seconds":"60"}"#] {
                #expect(try await Self.post(client, path, body, key: Self.adminKey).status == .badRequest, "\(body)")
            }
            #expect(try await Self.post(client, "/v2/users/\(String(repeating: "a", count: 200))/terminate", "", key: Self.adminKey).status == .badRequest)
            #expect(try await Self.post(client, "/v2/users/nobody/terminate", "", key: Self.adminKey).status == .notFound)
            #expect(await fixture.parts.store.verify(username: username, password: password, now: fixture.now) != nil, "nothing changed yet")
            let response = try await Self.post(client, "/v2/utilities/users/\(username)/terminate", #"{"block_seconds":60}"#, key: Self.adminKey)
            #expect(response.status == .ok)
            let body = try response.json()
            #expect(body["revoked"] as? Int == 2)
            #expect(body["blocked_until"] as? String == "2030-03-17T17:47:40Z")
            #expect(await fixture.parts.store.verify(username: username, password: password, now: fixture.now) == nil)
            #expect(await fixture.parts.store.verify(username: bob, password: bobPassword, now: fixture.now) != nil)
            let token = try await fixture.token(subject: "alice")
            let blocked = try await client.exchange(#"{"provider":"supabase","token":"\#(token)"}"#)
            #expect(blocked.status == .forbidden)
            #expect(try blocked.json()["error"] as? String == "user_blocked")
            #expect(blocked.headers[.retryAfter] == "60")
            fixture.clock.set(fixture.now.addingTimeInterval(61))
            #expect(try await client.exchange(#"{"provider":"supabase","token":"\#(token)"}"#).status == .ok, "the block is over")
        }
    }
}
