import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import MQTTAuthServer
import NIOCore
import Testing

/// VerneMQ's webhooks, replayed in the shapes VerneMQ sends them (README "VerneMQ"; VerneMQ is
/// not packaged in Debian, so there is no real broker here). Each request carries the
/// `vernemq-hook` header VerneMQ sets, and every hook is tried in both MQTT versions.
@Suite("VerneMQ webhooks")
struct VerneMQReplayTests {
    static func hook(_ client: some TestClientProtocol, _ name: String, _ json: String) async throws -> TestResponse {
        try await client.execute(
            uri: "/vernemq/" + name, method: .post,
            headers: [.contentType: "application/json", HTTPField.Name("vernemq-hook")!: name], body: ByteBuffer(string: json))
    }

    static func register(_ username: String?, _ password: String?, mountpoint: String = "", mqtt5: Bool) -> String {
        let user = username.map { "\"\($0)\"" } ?? "null"
        let pass = password.map { "\"\($0)\"" } ?? "null"
        let session = mqtt5 ? #""clean_start":true,"properties":{}"# : #""clean_session":true"#
        return #"{"peer_addr":"127.0.0.1","peer_port":50123,"mountpoint":"\#(mountpoint)","client_id":"c1","username":\#(user),"password":\#(pass),\#(session)}"#
    }

    static func publish(_ username: String, _ topic: String, mountpoint: String = "") -> String {
        #"{"username":"\#(username)","mountpoint":"\#(mountpoint)","client_id":"c1","qos":1,"topic":"\#(topic)","payload":"aGVsbG8=","retain":false}"#
    }

    static func subscribe(_ username: String, _ filters: [(String, Int)]) -> String {
        let topics = filters.map { #"{"topic":"\#($0.0)","qos":\#($0.1)}"# }.joined(separator: ",")
        return #"{"username":"\#(username)","mountpoint":"","client_id":"c1","topics":[\#(topics)]}"#
    }

    static func suffix(_ mqtt5: Bool) -> String { mqtt5 ? "_m5" : "" }

    @Test(arguments: [false, true])
    func registerAllowsTheCredentialUntilItExpires(mqtt5: Bool) async throws {
        let fixture = try ServerFixture()
        try await fixture.application.test(.router) { client in
            let (user, password, expiresAt) = try await issueCredential(client, fixture)
            let allowed = try await Self.hook(client, "auth_on_register" + Self.suffix(mqtt5), Self.register(user, password, mqtt5: mqtt5))
            #expect(allowed.status == .ok)
            let json = try allowed.json()
            #expect(json["result"] as? String == "ok")
            let lifetime = try #require((json["modifiers"] as? [String: Any])?["max_connection_lifetime"] as? Int)
            let expiry = try #require(ISO8601DateFormatter().date(from: expiresAt))
            #expect(lifetime == Int(expiry.timeIntervalSince(fixture.now)))
            // VerneMQ caches a login it is told to: a login answer never says so.
            #expect(allowed.headers[.cacheControl] == nil)

            // Later on the clock, the lifetime left is shorter.
            fixture.clock.set(fixture.now.addingTimeInterval(600))
            let later = try await Self.hook(client, "auth_on_register" + Self.suffix(mqtt5), Self.register(user, password, mqtt5: mqtt5)).json()
            #expect((later["modifiers"] as? [String: Any])?["max_connection_lifetime"] as? Int == lifetime - 600)

            for refused in [Self.register(user, "nope", mqtt5: mqtt5), Self.register(nil, nil, mqtt5: mqtt5), Self.register(user, nil, mqtt5: mqtt5),
                            Self.register(user, password, mountpoint: "tenant-a", mqtt5: mqtt5)] {
                let response = try await Self.hook(client, "auth_on_register" + Self.suffix(mqtt5), refused)
                #expect(response.status == .ok)
                #expect(response.text == #"{"result":{"error":"not_allowed"}}"#, "\(refused)")
            }
        }
    }

    @Test func aListedMountpointIsAccepted() async throws {
        let fixture = try ServerFixture(extraYAML: #"vernemq: {mountpoints: ["", "tenant-a"]}"#)
        try await fixture.application.test(.router) { client in
            let (user, password, _) = try await issueCredential(client, fixture)
            let allowed = try await Self.hook(client, "auth_on_register", Self.register(user, password, mountpoint: "tenant-a", mqtt5: false))
            #expect(try allowed.json()["result"] as? String == "ok")
            let other = try await Self.hook(client, "auth_on_register", Self.register(user, password, mountpoint: "tenant-b", mqtt5: false))
            #expect(other.text == #"{"result":{"error":"not_allowed"}}"#)
            let publish = try await Self.hook(client, "auth_on_publish", Self.publish("alice", "users/alice/x", mountpoint: "tenant-b"))
            #expect(publish.text == #"{"result":{"error":"not_allowed"}}"#)
        }
    }

    @Test(arguments: [false, true])
    func publishIsTheACLCheck(mqtt5: Bool) async throws {
        let fixture = try ServerFixture(extraYAML: secretDenyYAML)
        try await fixture.application.test(.router) { client in
            let name = "auth_on_publish" + Self.suffix(mqtt5)
            let notAllowed = #"{"result":{"error":"not_allowed"}}"#
            for (user, topic, expected) in [
                ("alice", "users/alice/x", #"{"result":"ok"}"#), ("alice", "users/alice/secret/x", notAllowed),
                ("alice", "users/bob/x", notAllowed), ("ops", "anything/at/all", #"{"result":"ok"}"#),
            ] {
                let answer = try await Self.hook(client, name, Self.publish(user, topic))
                #expect(answer.text == expected, "\(user) \(topic)")
            }
            // A client without a username is checked as one: no rule grants it anything here.
            let anonymous = #"{"username":null,"mountpoint":"","client_id":"c1","qos":0,"topic":"users/alice/x","payload":"","retain":false}"#
            let answer = try await Self.hook(client, name, anonymous)
            #expect(answer.text == notAllowed)
        }
    }

    @Test(arguments: [false, true])
    func subscribeRefusesOnlyTheFiltersThatMayNotBeUsed(mqtt5: Bool) async throws {
        let fixture = try ServerFixture(extraYAML: secretDenyYAML)
        try await fixture.application.test(.router) { client in
            let name = "auth_on_subscribe" + Self.suffix(mqtt5)
            let all = try await Self.hook(client, name, Self.subscribe("alice", [("users/alice/public/#", 1), ("users/alice/x", 0)]))
            #expect(all.text == #"{"result":"ok"}"#)

            // `users/alice/#` partly overlaps the deny on `users/alice/secret/#`: VerneMQ would
            // deliver the secret topics to it, so it is refused, and only it.
            let mixed = try await Self.hook(client, name, Self.subscribe("alice", [("users/alice/#", 1), ("users/alice/x", 2), ("users/bob/#", 0)]))
            let json = try mixed.json()
            #expect(json["result"] as? String == "ok")
            let topics = try #require((mqtt5 ? (json["modifiers"] as? [String: Any])?["topics"] : json["topics"]) as? [[String: Any]])
            let refused = mqtt5 ? 135 : 128
            #expect(topics.map { $0["topic"] as? String } == ["users/alice/#", "users/alice/x", "users/bob/#"])
            #expect(topics.map { $0["qos"] as? Int } == [refused, 2, refused])

            let none = try await Self.hook(client, name, Self.subscribe("alice", [("users/+/x", 0)]))
            #expect(none.text == #"{"result":{"error":"not_allowed"}}"#)
        }
    }

    @Test func topicAnswersMayBeCachedLoginsNever() async throws {
        let fixture = try ServerFixture(extraYAML: "vernemq: {acl_cache_seconds: 30}")
        try await fixture.application.test(.router) { client in
            let publish = try await Self.hook(client, "auth_on_publish", Self.publish("alice", "users/alice/x"))
            #expect(publish.headers[.cacheControl] == "max-age=30")
            let subscribe = try await Self.hook(client, "auth_on_subscribe_m5", Self.subscribe("alice", [("users/bob/x", 0)]))
            #expect(subscribe.headers[.cacheControl] == "max-age=30")
            let (user, password, _) = try await issueCredential(client, fixture)
            let register = try await Self.hook(client, "auth_on_register", Self.register(user, password, mqtt5: false))
            #expect(try register.json()["result"] as? String == "ok")
            #expect(register.headers[.cacheControl] == nil)
        }
    }

    @Test func settingsAreCheckedAtLoad() throws {
        let defaults = try ConfigFixture.load("listen: \"127.0.0.1:1\"")
        #expect(defaults.verneMQ == VerneMQSettings())
        #expect(defaults.rabbitMQ.vhost == "/" && defaults.rabbitMQ.exchange == "amq.topic")
        let errors = try ConfigFixture.errors("""
            vernemq:
              acl_cache_seconds: 61
              mount_points: [a]
            rabbitmq:
              vhost: ""
            """)
        #expect(errors.contains { $0.hasPrefix("2: ") && $0.contains("vernemq.acl_cache_seconds") }, "\(errors)")
        #expect(errors.contains { $0.hasPrefix("3: ") && $0.contains("mount_points") }, "\(errors)")
        #expect(errors.contains { $0.hasPrefix("5: ") && $0.contains("rabbitmq.vhost") }, "\(errors)")
    }

    @Test(arguments: [
        ("auth_on_subscribe", #"{"username":"alice","mountpoint":"","client_id":"c1","topics":"users/alice/x"}"#),
        ("auth_on_subscribe", #"{"username":"alice","mountpoint":"","client_id":"c1","topics":[]}"#),
        ("auth_on_subscribe", #"{"username":"alice","mountpoint":"","client_id":"c1","topics":[{"topic":null,"qos":0}]}"#),
        ("auth_on_subscribe", #"{"username":"alice","mountpoint":"","client_id":"c1","topics":[{"topic":"a/#/b","qos":0}]}"#),
        ("auth_on_subscribe_m5", #"{"username":"alice","mountpoint":"","client_id":"c1","topics":[{"topic":"users/alice/x","qos":7}]}"#),
        ("auth_on_publish", #"{"username":"alice","mountpoint":"","client_id":"c1","qos":0,"topic":null,"payload":"","retain":false}"#),
        ("auth_on_publish", #"{"username":"alice","mountpoint":"","client_id":"c1","qos":0,"topic":"users/alice/+","payload":"","retain":false}"#),
        ("auth_on_publish", #"{"username":"alice","mountpoint":"","client_id":"c1","qos":0,"topic":"users/alice/\u0000","payload":"","retain":false}"#),
        ("auth_on_publish_m5", #"{"username":7,"mountpoint":"","client_id":"c1","qos":0,"topic":"users/alice/x","payload":"","retain":false}"#),
        ("auth_on_register", #"{"username":"alice","password":{"a":1}}"#),
        ("auth_on_register_m5", "not json"),
    ])
    func malformedBodiesAre400(_ name: String, _ body: String) async throws {
        let fixture = try ServerFixture()
        try await fixture.application.test(.router) { client in
            let response = try await Self.hook(client, name, body)
            #expect(response.status == .badRequest, "\(body)")
            #expect(try (response.json()["result"] as? [String: Any])?["error"] as? String == "invalid_request")
        }
    }

    /// Bytes that are not UTF-8, in every hook, through the fast path's reader and the router.
    @Test func invalidUTF8Is400() async throws {
        let fixture = try ServerFixture()
        try await fixture.application.test(.router) { client in
            for name in ["auth_on_register", "auth_on_publish", "auth_on_subscribe_m5"] {
                var body = ByteBuffer(string: #"{"username":"al"#)
                body.writeBytes([0xFF, 0xFE])
                body.writeString(#"ice","mountpoint":"","client_id":"c1","topic":"a","topics":[{"topic":"a","qos":0}]}"#)
                let response = try await client.execute(uri: "/vernemq/" + name, method: .post, headers: [.contentType: "application/json"], body: body)
                #expect(response.status == .badRequest, "\(name)")
            }
        }
    }

    @Test func aTopicOfTooManyLevelsIs400() async throws {
        let fixture = try ServerFixture()
        try await fixture.application.test(.router) { client in
            let deep = String(repeating: "a/", count: 100_000) + "a"
            let response = try await Self.hook(client, "auth_on_publish", Self.publish("alice", deep))
            #expect(response.status.code >= 400 && response.status.code < 500)
        }
    }
}
