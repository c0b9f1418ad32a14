import Crypto
import Foundation
import TestSupport
import Testing

/// A Supabase access token as the MQTT password (`mqtt_login: true`, README "The token as the
/// MQTT password"), against the real broker with our plugin and the real daemon.
@Suite("Mosquitto: the token as the MQTT password", .serialized)
struct TokenLoginEndToEndTests {
    static let ownTopics = #"- {user: "%", topic: "users/%u/#", permission: pubsub}"#

    static func subject() -> String { UUID().uuidString.lowercased() }

    /// A Supabase project key (`anon`, `service_role`): signed with the project's secret, but
    /// naming no user.
    static func projectKey(role: String) -> String {
        func part(_ bytes: some DataProtocol) -> String {
            Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let exp = Int(Date().timeIntervalSince1970) + 86400
        let input = part(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8)) + "."
            + part(Data(#"{"iss":"supabase","ref":"broker","role":"\#(role)","iat":1,"exp":\#(exp)}"#.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(BrokerFixture.secret.utf8)))
        return input + "." + part(Data(mac))
    }

    @Test("a client connects with its access token and works within its rules")
    func tokenConnectsAndIsACLChecked() async throws {
        let fixture = try BrokerFixture(rules: Self.ownTopics, mqttLogin: true)
        let alice = Self.subject()
        let token = try await fixture.token(subject: alice)
        let client = MQTTTestClient(id: "t-alice")
        #expect(client.connect(port: fixture.tcpPort, username: alice, password: token) == 0, "\(fixture.broker?.log.suffix(1500) ?? "")")
        #expect(client.subscribe("users/\(alice)/#") == 1)
        #expect(client.subscribe("users/\(Self.subject())/#") == MQTTTestClient.refused)
        #expect(client.publish("users/\(alice)/hello", "hi"))
        #expect(client.waitForMessage(on: "users/\(alice)/hello")?.payload == "hi")
        // Reconnecting with the same token works (answered from the daemon's memory).
        #expect(MQTTTestClient(id: "t-alice-2").connect(port: fixture.tcpPort, username: alice, password: token) == 0)
        #expect(fixture.broker?.log.contains(token) == false, "the broker log never holds the token")
    }

    @Test("expired tokens, project keys, another user's token and garbage are refused")
    func everythingElseIsRefused() async throws {
        let fixture = try BrokerFixture(rules: Self.ownTopics, mqttLogin: true)
        let alice = Self.subject()
        let bobToken = try await fixture.token(subject: Self.subject())
        let expired = try await fixture.token(subject: alice, ttl: 60, issuedAt: Date().addingTimeInterval(-120))
        let cases: [(String, String)] = [
            ("an expired token", expired),
            ("the anon key", Self.projectKey(role: "anon")),
            ("the service_role key", Self.projectKey(role: "service_role")),
            ("another user's token", bobToken),
            ("garbage", "eyJhbGciOiJIUzI1NiJ9.not-a-token.x"),
            ("a wrong password", "correct horse battery staple"),
        ]
        for (index, (name, password)) in cases.enumerated() {
            let code = MQTTTestClient(id: "t-refused-\(index)").connect(port: fixture.tcpPort, username: alice, password: password)
            #expect(code == MQTTTestClient.notAuthorised, "\(name): CONNACK \(String(describing: code))")
        }
        #expect(fixture.broker?.isRunning == true)
    }

    @Test("the session ends within 2 s after the token's exp")
    func sessionEndsAtTheTokensExpiry() async throws {
        let fixture = try BrokerFixture(rules: Self.ownTopics, mqttLogin: true)
        let alice = Self.subject()
        // Whole seconds: the token's exp is its issue time plus ttl, rounded down.
        let issued = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let token = try await fixture.token(subject: alice, ttl: 4, issuedAt: issued)
        let expiresAt = issued.addingTimeInterval(4)
        let client = MQTTTestClient(id: "t-expiring")
        #expect(client.connect(port: fixture.tcpPort, username: alice, password: token) == 0)
        client.pump(seconds: expiresAt.timeIntervalSinceNow + 5) { client.disconnectReason != nil }
        let endedAt = Date()
        #expect(client.disconnectReason != nil, "still connected 5 s after the token's exp")
        #expect(endedAt.timeIntervalSince(expiresAt) <= 2, "ended \(endedAt.timeIntervalSince(expiresAt)) s after exp")
        #expect(endedAt.timeIntervalSince(expiresAt) >= -0.05, "ended before exp")
        #expect(MQTTTestClient(id: "t-again").connect(port: fixture.tcpPort, username: alice, password: token) == MQTTTestClient.notAuthorised)
    }
}

/// Rules on attributes from token claims (README "Attributes"), on the real broker: the
/// plugin decides with each connection's attributes from the daemon's `/mqtt/auth` answer.
@Suite("Mosquitto: rules on attributes", .serialized)
struct AttributeRulesEndToEndTests {
    /// A Supabase access token for `subject` whose `app_metadata` names its org and roles.
    static func token(subject: String, org: String, roles: [String]) -> String {
        func part(_ bytes: some DataProtocol) -> String {
            Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let now = Int(Date().timeIntervalSince1970)
        let claims: [String: Any] = [
            "iss": BrokerFixture.projectURL + "/auth/v1", "sub": subject, "aud": "authenticated", "role": "authenticated",
            "exp": now + 3600, "iat": now, "app_metadata": ["org_id": org, "roles": roles],
        ]
        let input = part(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8)) + "." + part(try! JSONSerialization.data(withJSONObject: claims))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(BrokerFixture.secret.utf8)))
        return input + "." + part(Data(mac))
    }

    @Test("two users of org acme talk on orgs/acme/#; globex cannot subscribe there; the admin subtree is for admins")
    func orgsAndRoles() async throws {
        // A deny wins over every grant, for admins too; the admin-only subtree is a `when` grant.
        let fixture = try BrokerFixture(
            rules: """
                - {user: "%", topic: "orgs/%{org}/#", permission: pubsub}
                - {user: "%", topic: "orgs/%{org}/secret/#", permission: deny}
                - {user: "%", topic: "admin/%{org}/#", permission: pubsub, when: {roles: admin}}
                """,
            mqttLogin: true,
            providerYAML: "attributes: {org: app_metadata.org_id, roles: app_metadata.roles}")
        let aliceID = UUID().uuidString.lowercased(), bobID = UUID().uuidString.lowercased(), carolID = UUID().uuidString.lowercased()
        // Alice exchanges her token; Bob and Carol connect with theirs.
        let alice = try await fixture.credential(subject: aliceID, token: Self.token(subject: aliceID, org: "acme", roles: ["admin"]))
        let bobToken = Self.token(subject: bobID, org: "acme", roles: ["dev"])
        let carolToken = Self.token(subject: carolID, org: "globex", roles: ["admin"])
        let aliceClient = try fixture.connectedClient("attr-alice", alice)
        let bobClient = MQTTTestClient(id: "attr-bob")
        let carolClient = MQTTTestClient(id: "attr-carol")
        #expect(bobClient.connect(port: fixture.tcpPort, username: bobID, password: bobToken) == 0)
        #expect(carolClient.connect(port: fixture.tcpPort, username: carolID, password: carolToken) == 0)

        #expect(bobClient.subscribe("orgs/acme/#") == 1)
        #expect(aliceClient.publish("orgs/acme/chat", "hello bob"))
        #expect(bobClient.waitForMessage(on: "orgs/acme/chat")?.payload == "hello bob")
        #expect(carolClient.subscribe("orgs/acme/#") == MQTTTestClient.refused, "globex is not acme")
        #expect(carolClient.subscribe("orgs/globex/#") == 1)
        #expect(aliceClient.subscribe("orgs/acme/secret/#") == MQTTTestClient.refused, "a deny wins, admins included")
        #expect(aliceClient.subscribe("admin/acme/#") == 1, "alice is an admin of acme")
        #expect(bobClient.subscribe("admin/acme/#") == MQTTTestClient.refused, "bob is not an admin")
        #expect(carolClient.subscribe("admin/acme/#") == MQTTTestClient.refused, "carol is an admin of globex, not acme")
        #expect(aliceClient.isConnected && bobClient.isConnected && carolClient.isConnected)
    }
}
