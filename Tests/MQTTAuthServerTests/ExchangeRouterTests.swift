import Foundation
import Hummingbird
import HummingbirdTesting
import MQTTAuthServer
import MQTTAuthStore
import Testing

/// docs/architecture.md §6's token exchange table, row by row, through the router.
@Suite("Token exchange")
struct ExchangeRouterTests {
    @Test func issuesCredentials() async throws {
        let fixture = try ServerFixture()
        let token = try await fixture.token()
        try await fixture.application.test(.router) { client in
            let response = try await client.exchange(#"{"provider":"supabase","token":"\#(token)"}"#)
            #expect(response.status == .ok)
            let body = try response.json()
            #expect(body["mqtt_username"] as? String == "8d0fd2b3-9ca7-4c35-a4d4-6d6a1f6b1e11")
            #expect((body["mqtt_password"] as? String)?.count ?? 0 >= 43)
            #expect(body["expires_in"] as? Int == 3600, "defaults to the token's own expiry")
            #expect(body["expires_at"] as? String == "2030-03-17T18:46:40Z")
            #expect(body["provider"] as? String == "supabase")
            #expect(body["user_id"] as? String == "8d0fd2b3-9ca7-4c35-a4d4-6d6a1f6b1e11")
        }
    }

    @Test(arguments: [(600, 600), (7200, 7200), (100_000, 7200)])
    func ttlIsHonouredUpToTheMaximum(_ asked: Int, _ granted: Int) async throws {
        let fixture = try ServerFixture()
        let token = try await fixture.token(ttl: 60)
        try await fixture.application.test(.router) { client in
            let response = try await client.exchange(#"{"provider":"supabase","token":"\#(token)","ttl":\#(asked)}"#)
            #expect(response.status == .ok)
            #expect(try response.json()["expires_in"] as? Int == granted)
        }
    }

    @Test func tokenLifetimeIsCappedByMaxTTL() async throws {
        let fixture = try ServerFixture()
        let token = try await fixture.token(ttl: 86400)
        try await fixture.application.test(.router) { client in
            let response = try await client.exchange(#"{"provider":"supabase","token":"\#(token)"}"#)
            #expect(try response.json()["expires_in"] as? Int == 7200)
        }
    }

    /// Each row: request body, API key, expected status and error code.
    static let errorRows: [(String, String?, Int, String)] = [
        (#"{"provider":"supabase","token":"TOKEN"}"#, nil, 401, "unauthorized"),
        (#"{"provider":"supabase","token":"TOKEN"}"#, "sk_wrong", 401, "unauthorized"),
        (#"{"provider":"supabase","token":"TOKEN"}"#, "", 401, "unauthorized"),
        ("not json", ServerFixture.apiKey, 400, "invalid_request"),
        ("[1,2]", ServerFixture.apiKey, 400, "invalid_request"),
        (#"{"token":"TOKEN"}"#, ServerFixture.apiKey, 400, "invalid_request"),
        (#"{"provider":"supabase"}"#, ServerFixture.apiKey, 400, "invalid_request"),
        (#"{"provider":"supabase","token":"TOKEN","ttl":0}"#, ServerFixture.apiKey, 400, "invalid_request"),
        (#"{"provider":"supabase","token":"TOKEN","ttl":-5}"#, ServerFixture.apiKey, 400, "invalid_request"),
        (#"{"provider":"supabase","token":"TOKEN","ttl":"600"}"#, ServerFixture.apiKey, 400, "invalid_request"),
        (#"{"provider":"supabase","token":"TOKEN","ttl":1.5}"#, ServerFixture.apiKey, 400, "invalid_request"),
        (#"{"provider":"nope","token":"TOKEN"}"#, ServerFixture.apiKey, 404, "provider_not_found"),
        (#"{"provider":"Supabase","token":"TOKEN"}"#, ServerFixture.apiKey, 404, "provider_not_found"),
        (#"{"provider":"off","token":"TOKEN"}"#, ServerFixture.apiKey, 404, "provider_not_found"),
        (#"{"provider":"supabase","token":"garbage"}"#, ServerFixture.apiKey, 401, "invalid_token"),
        (#"{"provider":"supabase","token":"EXPIRED"}"#, ServerFixture.apiKey, 401, "token_expired"),
        (#"{"provider":"supabase","token":"FORGED"}"#, ServerFixture.apiKey, 401, "invalid_token"),
        (#"{"provider":"supabase","token":"LEEWAY"}"#, ServerFixture.apiKey, 401, "token_expired"),
    ]

    @Test(arguments: errorRows)
    func errorsFollowTheTable(_ body: String, _ key: String?, _ status: Int, _ code: String) async throws {
        let fixture = try ServerFixture()
        let valid = try await fixture.token()
        let expired = try await fixture.token(ttl: 3600, age: 7200)
        let forged = try await fixture.token(secret: "another-secret-of-sufficient-length!!")
        let withinLeeway = try await fixture.token(ttl: 3600, age: 3610)
        let json = body.replacingOccurrences(of: "EXPIRED", with: expired)
            .replacingOccurrences(of: "LEEWAY", with: withinLeeway)
            .replacingOccurrences(of: "FORGED", with: forged)
            .replacingOccurrences(of: "TOKEN", with: valid)
        try await fixture.application.test(.router) { client in
            let response = try await client.exchange(json, key: key)
            #expect(response.status.code == status, "\(response.text)")
            let answer = try response.json()
            #expect(answer["error"] as? String == code)
            #expect((answer["message"] as? String)?.isEmpty == false)
            #expect(!response.text.contains(valid) && !response.text.contains(ServerFixture.secret))
            // Nothing was issued.
            #expect(fixture.parts.store.activeCount(now: fixture.now) == 0)
        }
    }

    @Test func oversizedBodyIs413() async throws {
        let fixture = try ServerFixture()
        let padding = String(repeating: "x", count: 70 * 1024)
        try await fixture.application.test(.router) { client in
            let response = try await client.exchange(#"{"provider":"supabase","token":"\#(padding)"}"#)
            #expect(response.status == .contentTooLarge)
            #expect(try response.json()["error"] as? String == "payload_too_large")
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
        }
    }

    @Test func emailUsernamesAndCollisions() async throws {
        let fixture = try ServerFixture(extraYAML: "")
        // A provider deriving usernames from emails is added through a second config.
        let yaml = try String(contentsOfFile: fixture.configPath, encoding: .utf8)
            .replacingOccurrences(of: "    jwt_secret: \"\(ServerFixture.secret)\"", with: "    jwt_secret: \"\(ServerFixture.secret)\"\n    username: email")
        try yaml.write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        fixture.parts.runtime.replace(with: Server.runtime(try DaemonConfiguration.load(path: fixture.configPath), now: { fixture.now }))
        let first = try await fixture.token(subject: "user-one", email: "John.Doe@example.com")
        let second = try await fixture.token(subject: "user-two", email: "john.doe@EXAMPLE.com")
        try await fixture.application.test(.router) { client in
            let one = try await client.exchange(#"{"provider":"supabase","token":"\#(first)"}"#)
            let two = try await client.exchange(#"{"provider":"supabase","token":"\#(second)"}"#)
            let again = try await client.exchange(#"{"provider":"supabase","token":"\#(first)"}"#)
            let name1 = try one.json()["mqtt_username"] as? String
            let name2 = try two.json()["mqtt_username"] as? String
            #expect(name1 == "john_doe_example_com")
            #expect(name2 != nil && name2 != name1 && name2!.hasPrefix("john_doe_example_com"))
            #expect(try again.json()["mqtt_username"] as? String == name1)
        }
    }
}

/// The exchange for providers other than Supabase: `username: email` needs a verified address,
/// and `credential_ttl` sets the credential's life instead of the token's `exp`.
@Suite("Token exchange, other provider types")
struct ExchangeProviderTypeTests {
    static let providers = """
          - name: oidc
            type: oidc
            issuer: "https://id.example.com"
            audience: mqtt
            username: email
            credential_ttl: 1800
            jwks_file: keys.json
          - name: clerk
            type: clerk
            frontend_api: "https://clerk.example.com"
            jwks_file: keys.json
        """

    func fixture() throws -> ServerFixture {
        try ServerFixture(providersYAML: Self.providers, files: ["keys.json": ProviderHTTPTests.jwks])
    }

    func oidcToken(_ fixture: ServerFixture, verified: Bool?) async throws -> String {
        let now = Int(fixture.now.timeIntervalSince1970)
        return try await ProviderHTTPTests.sign(ProviderHTTPTests.Claims(
            iss: "https://id.example.com", sub: "u-1", aud: ["mqtt"], exp: now + 300, iat: now,
            email: "Grace@Example.com", email_verified: verified), es256: true)
    }

    @Test func aVerifiedEmailIsTheUsernameAndCredentialTTLTheLifetime() async throws {
        let fixture = try fixture()
        let token = try await oidcToken(fixture, verified: true)
        try await fixture.application.test(.router) { client in
            let response = try await client.exchange(#"{"provider":"oidc","token":"\#(token)"}"#)
            #expect(response.status == .ok)
            let body = try response.json()
            #expect(body["mqtt_username"] as? String == "grace_example_com")
            #expect(body["expires_in"] as? Int == 1800, "credential_ttl, not the token's five minutes")
            let asked = try await client.exchange(#"{"provider":"oidc","token":"\#(token)","ttl":60}"#)
            #expect(try asked.json()["expires_in"] as? Int == 60, "a requested ttl still wins")
        }
    }

    @Test(arguments: [false, nil] as [Bool?])
    func anUnverifiedEmailIsRefused(_ verified: Bool?) async throws {
        let fixture = try fixture()
        let token = try await oidcToken(fixture, verified: verified)
        try await fixture.application.test(.router) { client in
            let response = try await client.exchange(#"{"provider":"oidc","token":"\#(token)"}"#)
            #expect(response.status == .unauthorized)
            let body = try response.json()
            #expect(body["error"] as? String == "invalid_token")
            #expect((body["message"] as? String)?.contains("email_verified") == true)
        }
    }

    @Test func clerkCredentialsOutliveTheMinuteLongToken() async throws {
        let fixture = try fixture()
        let now = Int(fixture.now.timeIntervalSince1970)
        let token = try await ProviderHTTPTests.sign(ProviderHTTPTests.Claims(
            iss: "https://clerk.example.com", sub: "user_2NNEqL2nrIRdJ194ndJqAHwEfxC", exp: now + 60, iat: now, nbf: now - 10,
            azp: "https://app.example.com"))
        try await fixture.application.test(.router) { client in
            let response = try await client.exchange(#"{"provider":"clerk","token":"\#(token)"}"#)
            #expect(response.status == .ok)
            let body = try response.json()
            #expect(body["mqtt_username"] as? String == "user_2NNEqL2nrIRdJ194ndJqAHwEfxC")
            #expect(body["expires_in"] as? Int == 3600)
        }
    }
}
