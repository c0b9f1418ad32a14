import Foundation
import Hummingbird
import HummingbirdTesting
@testable import MQTTAuthServer
import NIOCore
import Testing
import TestSupport

/// A credential exchanged through the fixture's router or server.
func issueCredential(_ client: some TestClientProtocol, _ fixture: ServerFixture, subject: String = "8d0fd2b3-9ca7-4c35-a4d4-6d6a1f6b1e11")
    async throws -> (username: String, password: String, expiresAt: String) {
    let token = try await fixture.token(subject: subject)
    let issued = try await client.exchange(#"{"provider":"supabase","token":"\#(token)"}"#).json()
    return (issued["mqtt_username"] as! String, issued["mqtt_password"] as! String, issued["expires_at"] as! String)
}

/// The fixture's rules plus a deny under each user's own tree, so that a subscription to the
/// whole tree partly overlaps a deny (README "Subscriptions on other brokers").
let secretDenyYAML = """
        - user: "%"
          topic: "users/%u/secret/#"
          permission: deny
    """

/// RabbitMQ's `rabbitmq_auth_backend_http` requests, in the form its MQTT plugin sends them
/// (README "RabbitMQ"): every answer is 200 with exactly `allow` or `deny`, and bad input a
/// 4xx with `deny`.
@Suite("RabbitMQ endpoints")
struct RabbitMQRouterTests {
    /// `fields` as RabbitMQ encodes them (`quote_plus`), by GET query or POST body.
    static func ask(_ client: some TestClientProtocol, _ path: String, _ fields: [(String, String)], get: Bool = false) async throws -> TestResponse {
        let form = fields.map { "\(quotePlus($0.0))=\(quotePlus($0.1))" }.joined(separator: "&")
        if get {
            return try await client.execute(uri: path + "?" + form, method: .get)
        }
        return try await client.execute(
            uri: path, method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: form))
    }

    /// Python's `urllib.parse.quote_plus`: unreserved bytes stay, a space is `+`, the rest `%XX`.
    static func quotePlus(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(byte)))
            case UInt8(ascii: " "): out.append("+")
            default: out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    static func topic(_ user: String, _ routingKey: String, _ permission: String, vhost: String = "/", exchange: String = "amq.topic") -> [(String, String)] {
        [("username", user), ("vhost", vhost), ("resource", "topic"), ("name", exchange), ("permission", permission),
         ("routing_key", routingKey), ("variable_map.client_id", "c1"), ("variable_map.username", user), ("variable_map.vhost", vhost)]
    }

    static func resource(_ kind: String, _ name: String, _ permission: String, clientID: String = "c1", vhost: String = "/") -> [(String, String)] {
        [("username", "alice"), ("vhost", vhost), ("resource", kind), ("name", name), ("permission", permission), ("client_id", clientID)]
    }

    @Test(arguments: [false, true])
    func userChecksTheCredential(get: Bool) async throws {
        let fixture = try ServerFixture()
        try await fixture.application.test(.router) { client in
            let (user, password, _) = try await issueCredential(client, fixture)
            let allowed = try await Self.ask(client, "/rabbitmq/user", [("username", user), ("password", password), ("vhost", "/"), ("client_id", "c1")], get: get)
            #expect(allowed.status == .ok)
            #expect(allowed.text == "allow")
            let wrong = try await Self.ask(client, "/rabbitmq/user", [("username", user), ("password", "nope"), ("vhost", "/"), ("client_id", "c1")], get: get)
            #expect(wrong.status == .ok)
            #expect(wrong.text == "deny")
            // A superuser's credential gets no management tags: the body is `allow` alone.
            let superuser = try await Self.ask(client, "/rabbitmq/user", [("username", "ops"), ("password", "nope")], get: get)
            #expect(superuser.text == "deny")
        }
    }

    @Test func vhostIsTheConfiguredOne() async throws {
        let fixture = try ServerFixture(extraYAML: "rabbitmq: {vhost: prod}")
        try await fixture.application.test(.router) { client in
            let configured = try await Self.ask(client, "/rabbitmq/vhost", [("username", "alice"), ("vhost", "prod"), ("ip", "127.0.0.1")])
            #expect(configured.text == "allow")
            let other = try await Self.ask(client, "/rabbitmq/vhost", [("username", "alice"), ("vhost", "/"), ("ip", "127.0.0.1")])
            #expect(other.text == "deny")
        }
    }

    @Test(arguments: [
        (resource("exchange", "amq.topic", "write"), "allow"),
        (resource("exchange", "amq.topic", "read"), "allow"),
        (resource("exchange", "amq.topic", "configure"), "deny"),
        (resource("exchange", "amq.direct", "write"), "deny"),
        (resource("exchange", "amq.topic", "write", vhost: "other"), "deny"),
        (resource("queue", "mqtt-subscription-c1qos0", "configure"), "allow"),
        (resource("queue", "mqtt-subscription-c1qos1", "read"), "allow"),
        (resource("queue", "mqtt-subscription-c1qos1", "write"), "allow"),
        (resource("queue", "mqtt-subscription-c2qos1", "read"), "deny"),
        (resource("queue", "mqtt-subscription-c1qos0", "read", clientID: ""), "deny"),
        (resource("queue", "orders", "read"), "deny"),
    ])
    func resourceAllowsOnlyWhatMQTTUses(_ fields: [(String, String)], _ expected: String) async throws {
        let fixture = try ServerFixture()
        try await fixture.application.test(.router) { client in
            let response = try await Self.ask(client, "/rabbitmq/resource", fields)
            #expect(response.status == .ok)
            #expect(response.text == expected, "\(fields)")
        }
    }

    @Test(arguments: [
        (topic("alice", "users.alice.x", "write"), "allow"),
        (topic("alice", "users.bob.x", "write"), "deny"),
        (topic("alice", "users.alice.*", "read"), "deny"),  // users/alice/secret matches both
        (topic("alice", "users.alice.public.*", "read"), "allow"),
        (topic("alice", "users.alice.#", "read"), "deny"),  // overlaps users/alice/secret/#
        (topic("alice", "users.alice.public.#", "read"), "allow"),
        (topic("alice", "users.alice.*.x", "read"), "deny"),  // users/alice/secret/x matches both
        (topic("alice", "users.alice.secret.x", "write"), "deny"),
        (topic("alice", "users.*.x", "read"), "deny"),
        (topic("alice", "#", "read"), "deny"),
        (topic("ops", "#", "read"), "allow"),
        (topic("alice", "users.alice.x", "configure"), "deny"),
        (topic("alice", "users.alice.x", "write", exchange: "other"), "deny"),
        (topic("alice", "users.alice.x", "write", vhost: "other"), "deny"),
    ])
    func topicIsTheACLCheck(_ fields: [(String, String)], _ expected: String) async throws {
        let fixture = try ServerFixture(extraYAML: secretDenyYAML)
        try await fixture.application.test(.router) { client in
            for get in [false, true] {
                let response = try await Self.ask(client, "/rabbitmq/topic", fields, get: get)
                #expect(response.status == .ok)
                #expect(response.text == expected, "\(fields)")
            }
        }
    }

    @Test(arguments: [
        ("/rabbitmq/user", [("username", "alice")]),
        ("/rabbitmq/vhost", [("username", "alice")]),
        ("/rabbitmq/resource", resource("exchange", "amq.topic", "delete")),
        ("/rabbitmq/resource", resource("stream", "amq.topic", "read")),
        ("/rabbitmq/topic", topic("alice", "users.alice.x", "delete")),
        ("/rabbitmq/topic", topic("alice", "users.alice.x#", "write")),
        ("/rabbitmq/topic", topic("alice", "users.alice.#", "write")),
        ("/rabbitmq/topic", topic("alice", "users.alice.a#b", "read")),
        ("/rabbitmq/topic", topic("alice", String(repeating: "a.", count: 100_000) + "a", "write")),
        ("/rabbitmq/topic", topic("alice", "users.al\u{0}ice", "write")),
    ])
    func badRequestsAre4xxWithDeny(_ path: String, _ fields: [(String, String)]) async throws {
        let fixture = try ServerFixture()
        try await fixture.application.test(.router) { client in
            let response = try await Self.ask(client, path, fields)
            // 400, or 413 for the routing key of 100,000 levels, which is over the body limit.
            #expect((400..<500).contains(response.status.code), "\(path) \(fields.map(\.0))")
            #expect(response.text == "deny")
        }
    }

    @Test func invalidEscapesAndUTF8AreRefused() async throws {
        let fixture = try ServerFixture()
        try await fixture.application.test(.router) { client in
            for query in ["username=alice&password=%FF", "username=alice&password=%G1", "username=%"] {
                let response = try await client.execute(uri: "/rabbitmq/user?" + query, method: .get)
                #expect(response.status == .badRequest, "\(query)")
                #expect(response.text == "deny")
            }
        }
    }

    @Test func mqttTopicsComeBackFromRoutingKeys() {
        #expect(RabbitMQAdapter.mqttTopic(routingKey: "users.alice.x") == "users/alice/x")
        #expect(RabbitMQAdapter.mqttTopic(routingKey: "users.*.#") == "users/+/#")
        #expect(RabbitMQAdapter.mqttTopic(routingKey: "a..b") == "a//b")
    }

    /// What RabbitMQ sends, on the daemon's own socket (the fast path): an empty `te:` header
    /// and a kept-alive connection, several requests on it.
    @Test func anEmptyTEHeaderOnAKeptAliveConnection() async throws {
        let fixture = try ServerFixture()
        try await fixture.server.test(.live) { client in
            let port = try #require(client.port)
            let (user, password, _) = try await issueCredential(client, fixture)
            let form = "username=\(user)&password=\(password)&vhost=%2F&client_id=c1"
            let request = "GET /rabbitmq/user?\(form) HTTP/1.1\r\nHost: 127.0.0.1\r\nte: \r\nconnection: keep-alive\r\n\r\n"
            let denied = "GET /rabbitmq/vhost?username=\(user)&vhost=other HTTP/1.1\r\nHost: 127.0.0.1\r\nte: \r\n\r\n"
            let answers = try await RawHTTP.answers(port: port, request + denied + request, count: 3)
            #expect(answers.map(\.body) == ["allow", "deny", "allow"])
            #expect(answers.allSatisfy { $0.status == 200 })
        }
    }
}
