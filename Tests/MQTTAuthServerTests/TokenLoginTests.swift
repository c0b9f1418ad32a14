import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import MQTTAuthCore
import MQTTAuthServer
import MQTTAuthStore
import NIOCore
import Testing

/// A provider's access token as the MQTT password (`mqtt_login: true`, docs/architecture.md
/// §4.7), through the router and through the event-loop fast path.
@Suite("Token as the MQTT password")
struct TokenLoginTests {
    static let appURL = "https://app.supabase.co"
    static let appSecret = "app-project-jwt-secret-0123456789abcdef"
    static let user = "5b0f3c1e-8d2a-4e6f-9a1b-2c3d4e5f6a7b"

    static let providers = """
          - name: app
            type: supabase
            project_url: "\(appURL)"
            jwt_secret: "\(appSecret)"
            mqtt_login: true
        """

    func fixture() throws -> ServerFixture {
        try ServerFixture(providersYAML: Self.providers)
    }

    /// An access token of the `app` project for `subject`, issued `age` seconds before the
    /// fixture's clock.
    func token(_ fixture: ServerFixture, subject: String = user, ttl: Int = 3600, age: Int = 0, secret: String = appSecret) async throws -> String {
        try await DevToken.mint(
            secret: Array(secret.utf8), issuer: Self.appURL + "/auth/v1", subject: subject, email: "\(subject)@example.com",
            ttl: ttl, now: fixture.now.addingTimeInterval(-TimeInterval(age)))
    }

    /// A Supabase project key (`anon`, `service_role`): HS256 with the project's secret, but no user.
    static func projectKey(role: String, now: Date) -> String {
        func part(_ json: String) -> String {
            Data(json.utf8).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let exp = Int(now.timeIntervalSince1970) + 86400
        let input = part(#"{"alg":"HS256","typ":"JWT"}"#) + "." + part(#"{"iss":"\#(appURL)/auth/v1","ref":"app","role":"\#(role)","iat":1,"exp":\#(exp)}"#)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(appSecret.utf8)))
        return input + "." + Data(mac).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    func auth(_ client: any TestClientProtocol, _ username: String, _ password: String) async throws -> TestResponse {
        try await client.execute(
            uri: "/mqtt/auth", method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(string: #"{"username":"\#(username)","password":"\#(password)","clientid":"c1"}"#))
    }

    @Test(arguments: [TestingSetup.router, .live])
    func aValidTokenLogsInUntilItsExpiry(_ setup: TestingSetup) async throws {
        let fixture = try fixture()
        let token = try await token(fixture, ttl: 1800)
        try await setup.run(fixture) { client in
            let response = try await auth(client, Self.user, token)
            #expect(response.status == .ok, "\(response.text)")
            #expect(try response.json()["expires_at"] as? String == "2030-03-17T18:16:40Z")
            // Asked again, it is answered from memory.
            let answer = try await auth(client, Self.user, token)
            #expect(answer.status == .ok)
        }
        #expect(fixture.parts.tokenLogin.count == 1)
    }

    @Test(arguments: [TestingSetup.router, .live])
    func everyOtherTokenOrUserIsRefused(_ setup: TestingSetup) async throws {
        let fixture = try fixture()
        let valid = try await token(fixture)
        let refused: [(String, String, String)] = [
            ("another user's username", "9a8b7c6d-0000-4000-8000-000000000001", valid),
            ("an expired token", Self.user, try await token(fixture, ttl: 3600, age: 3610)),
            ("a token within the leeway of its exp", Self.user, try await token(fixture, ttl: 3600, age: 3605)),
            ("the anon key", Self.user, Self.projectKey(role: "anon", now: fixture.now)),
            ("the service_role key", Self.user, Self.projectKey(role: "service_role", now: fixture.now)),
            ("a token signed with another secret", Self.user, try await token(fixture, secret: "not-the-app-secret-0123456789abcdefgh")),
            ("a token of a provider without mqtt_login", Self.user, try await fixture.token(subject: Self.user)),
            ("garbage shaped like a token", Self.user, "eyJhbGciOiJIUzI1NiJ9.garbage.x"),
            ("a token with its signature cut", Self.user, String(valid.dropLast(3))),
        ]
        try await setup.run(fixture) { client in
            for (name, username, password) in refused {
                let response = try await auth(client, username, password)
                #expect(response.status == .forbidden, "\(name): \(response.text)")
                #expect(!response.text.contains(password), "\(name): the answer quotes the password")
            }
            // The right user's token still works after all that.
            let answer = try await auth(client, Self.user, valid)
            #expect(answer.status == .ok)
        }
    }

    @Test func aRememberedTokenStopsCountingWhenItsProviderLosesMQTTLogin() async throws {
        let fixture = try fixture()
        let token = try await token(fixture)
        try await fixture.application.test(.router) { client in
            let before = try await auth(client, Self.user, token)
            #expect(before.status == .ok)
            var configuration = fixture.parts.runtime.current.configuration
            configuration.providers = configuration.providers.map { provider in
                var provider = provider
                provider.mqttLogin = false
                return provider
            }
            fixture.parts.runtime.replace(with: Server.runtime(configuration, now: { fixture.now }))
            let after = try await auth(client, Self.user, token)
            #expect(after.status == .forbidden)
        }
    }

    func authn(_ client: any TestClientProtocol, _ username: String, _ password: String) async throws -> String? {
        let response = try await client.execute(
            uri: "/emqx/authn", method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(string: #"{"username":"\#(username)","password":"\#(password)","clientid":"c1"}"#))
        return try response.json()["result"] as? String
    }

    @Test func emqxAuthnAcceptsTheTokenToo() async throws {
        let fixture = try fixture()
        let token = try await token(fixture)
        let anon = Self.projectKey(role: "anon", now: fixture.now)
        try await fixture.application.test(.router) { client in
            let allowed = try await authn(client, Self.user, token)
            let otherUser = try await authn(client, "someone-else", token)
            let anonKey = try await authn(client, Self.user, anon)
            #expect(allowed == "allow")
            #expect(otherUser == "deny")
            #expect(anonKey == "deny")
        }
    }

    /// Without any provider that has mqtt_login, a token is just a wrong password.
    @Test func withoutMQTTLoginATokenIsAWrongPassword() async throws {
        let fixture = try ServerFixture()
        let token = try await fixture.token(subject: Self.user)
        try await fixture.application.test(.router) { client in
            let answer = try await auth(client, Self.user, token)
            #expect(answer.status == .forbidden)
        }
        #expect(fixture.parts.tokenLogin.count == 0)
    }
}

/// The two ways these tests reach the daemon's HTTP server.
enum TestingSetup: Sendable, CustomTestStringConvertible {
    /// Hummingbird's router, as go-auth's requests reach it through the router.
    case router
    /// A real socket, through the event-loop fast path.
    case live

    func run(_ fixture: ServerFixture, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        switch self {
        case .router: try await fixture.application.test(.router) { try await body($0) }
        case .live: try await fixture.server.test(.live) { try await body($0) }
        }
    }

    var testDescription: String { self == .router ? "router" : "live (fast path)" }
}

/// Attributes declared by a provider, read from each token and answered on `/mqtt/auth` and
/// EMQX's authn (README "Attributes").
@Suite("Attributes through the daemon")
struct AttributeAnswerTests {
    static let providers = """
          - name: app
            type: supabase
            project_url: "\(TokenLoginTests.appURL)"
            jwt_secret: "\(TokenLoginTests.appSecret)"
            mqtt_login: true
            attributes: {org: app_metadata.org_id, roles: app_metadata.roles}
        """

    /// A Supabase-shaped token of the `app` project with `app_metadata`, signed by hand.
    static func token(_ fixture: ServerFixture, subject: String, org: String, roles: [String]) -> String {
        func part(_ data: Data) -> String {
            data.base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let now = Int(fixture.now.timeIntervalSince1970)
        let claims: [String: Any] = [
            "iss": TokenLoginTests.appURL + "/auth/v1", "sub": subject, "aud": "authenticated", "role": "authenticated",
            "exp": now + 3600, "iat": now, "app_metadata": ["org_id": org, "roles": roles],
            "user_metadata": ["org_id": "evil"],
        ]
        let input = part(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8)) + "." + part(try! JSONSerialization.data(withJSONObject: claims))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(TokenLoginTests.appSecret.utf8)))
        return input + "." + part(Data(mac))
    }

    @Test func exchangedCredentialsAndTokenLoginsAnswerTheUsersAttributes() async throws {
        let fixture = try ServerFixture(providersYAML: Self.providers)
        let alice = "0a1b2c3d-0000-4000-8000-00000000a11c"
        let bob = "0a1b2c3d-0000-4000-8000-000000000b0b"
        let aliceToken = Self.token(fixture, subject: alice, org: "acme", roles: ["admin", "dev"])
        let bobToken = Self.token(fixture, subject: bob, org: "globex", roles: [])
        try await fixture.application.test(.router) { client in
            let exchanged = try await client.exchange(#"{"provider":"app","token":"\#(aliceToken)"}"#).json()
            let password = try #require(exchanged["mqtt_password"] as? String)
            let auth = try await client.execute(
                uri: "/mqtt/auth", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"username":"\#(alice)","password":"\#(password)"}"#))
            #expect(auth.text.hasPrefix(#"{"attributes":{"org":["acme"],"roles":["admin","dev"]},"error":"","expires_at":""#), "\(auth.text)")
            let login = try await client.execute(
                uri: "/mqtt/auth", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"username":"\#(bob)","password":"\#(bobToken)"}"#))
            #expect(login.text.hasPrefix(#"{"attributes":{"org":["globex"]},"error":"""#), "\(login.text)")
            let emqx = try await client.execute(
                uri: "/emqx/authn", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"username":"\#(alice)","password":"\#(password)","clientid":"c1"}"#)).json()
            #expect(emqx["client_attrs"] as? [String: String] == ["org": "acme", "roles": "admin,dev"])
            #expect(emqx["expire_at"] as? Int == Int(fixture.now.timeIntervalSince1970) + 3600)
            // A refused login carries no attributes.
            let refused = try await client.execute(
                uri: "/mqtt/auth", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"username":"\#(alice)","password":"\#(bobToken)"}"#))
            #expect(refused.status == .forbidden)
            #expect(!refused.text.contains("attributes"))
        }
        #expect(fixture.parts.store.attributes(of: alice) == UserAttributes(["org": ["acme"], "roles": ["admin", "dev"]]))
    }
}
