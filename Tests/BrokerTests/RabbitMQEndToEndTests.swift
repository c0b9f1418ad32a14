import Foundation
import TestSupport
import Testing

/// RabbitMQ 3.10 (Debian's, with its MQTT plugin) asking the real daemon through
/// `rabbitmq_auth_backend_http`: `/rabbitmq/user`, `/rabbitmq/vhost`, `/rabbitmq/resource` and
/// `/rabbitmq/topic`, each answered 200 `allow` or `deny`. Real MQTT 3.1.1 clients
/// (libmosquitto) connect with exchanged credentials, subscribe and publish.
///
/// How RabbitMQ 3.10 says no, which these tests rely on: a refused login gets CONNACK 4 (bad
/// user name or password); a refused subscription or publish closes the connection, with no
/// SUBACK or PUBACK (MQTT 3.1.1 has no refusal code for a publish; RabbitMQ 3.10 does not use
/// SUBACK's 0x80 either). Topics reach the backend as AMQP routing keys: `/` becomes `.`,
/// `+` becomes `*`, and `#` stays.
///
/// One node serves the whole suite (it takes about 9 s to boot); every test starts a daemon of
/// its own and points the node's backend at it, so the tests run one at a time.
@Suite("RabbitMQ with the HTTP auth backend", .serialized)
struct RabbitMQEndToEndTests {
    static let ownTopics = #"- {user: "%", topic: "users/%u/#", permission: pubsub}"#
    /// RabbitMQ 3.10's CONNACK for a refused login (Mosquitto answers 5 instead).
    static let badCredentials: Int32 = 4

    static func subject() -> String { UUID().uuidString.lowercased() }

    /// One test's daemon, with the shared node's HTTP backend pointed at it.
    struct Setup {
        let fixture: BrokerFixture
        let node: RabbitMQNode
        /// Keeps client ids apart across tests: the node is shared, and RabbitMQ drops the
        /// older of two connections with the same client id.
        let tag = String(UUID().uuidString.prefix(8))

        init(rules: String = RabbitMQEndToEndTests.ownTopics, superusers: [String] = [], method: RabbitMQNode.HTTPMethod = .post, daemonYAML: String = "") async throws {
            node = try await RabbitMQNode.sharedNode()
            fixture = try BrokerFixture(rules: rules, superusers: superusers, startBroker: false, daemonYAML: daemonYAML)
            try await node.pointingAuthBackend(at: "http://127.0.0.1:\(fixture.daemonPort)/rabbitmq", method: method)
        }

        func client(_ name: String) -> MQTTTestClient { MQTTTestClient(id: "\(name)-\(tag)") }

        /// CONNACK's code for `credential` (nil when none came).
        func connack(_ name: String, username: String?, password: String?) async -> Int32? {
            let client = client(name)
            return await offThePool { client.connect(port: node.mqttPort, username: username, password: password) }
        }

        /// A client connected with `credential`; the test fails if the node refused it.
        func connected(_ name: String, _ credential: BrokerFixture.Credential) async throws -> MQTTTestClient {
            let client = client(name)
            let code = await offThePool { client.connect(port: node.mqttPort, username: credential.username, password: credential.password) }
            try #require(code == 0, "CONNACK \(String(describing: code)) for \(name)\n\(node.log.suffix(2000))")
            return client
        }
    }

    @Test("exchanged credentials connect; a wrong password or an unknown user gets CONNACK 4", arguments: RabbitMQNode.HTTPMethod.allCases)
    func connect(method: RabbitMQNode.HTTPMethod) async throws {
        let setup = try await Setup(method: method)
        let alice = try await setup.fixture.credential(subject: Self.subject())
        #expect(await setup.connack("ok", username: alice.username, password: alice.password) == 0)
        #expect(await setup.connack("wrong", username: alice.username, password: alice.password + "x") == Self.badCredentials)
        #expect(await setup.connack("unknown", username: Self.subject(), password: alice.password) == Self.badCredentials)
        #expect(setup.node.log.contains(alice.password) == false)
    }

    @Test("a user's publish to users/<u>/x reaches their own subscription; another user's tree closes the subscriber", arguments: RabbitMQNode.HTTPMethod.allCases)
    func ownTopicsOnly(method: RabbitMQNode.HTTPMethod) async throws {
        let setup = try await Setup(method: method)
        let alice = try await setup.fixture.credential(subject: Self.subject())
        let bob = try await setup.fixture.credential(subject: Self.subject())
        let subscriber = try await setup.connected("own-sub", alice)
        #expect(await subscriber.subscribing("users/\(alice.username)/#") == 1)
        let publisher = try await setup.connected("own-pub", alice)
        #expect(await publisher.publishing("users/\(alice.username)/x", "mine"))
        // RabbitMQ routes it as users.<u>.x and hands it back under its MQTT name.
        #expect(await subscriber.waitingForMessage(on: "users/\(alice.username)/x")?.payload == "mine")

        let intruder = try await setup.connected("own-other", alice)
        #expect(await intruder.isClosedBySubscribing("users/\(bob.username)/#"))
        #expect(subscriber.isConnected)
    }

    @Test("a publish into another user's tree closes the publisher and reaches no one, not even a superuser's #")
    func foreignPublishRefused() async throws {
        let ops = Self.subject()
        let setup = try await Setup(superusers: [ops])
        let alice = try await setup.fixture.credential(subject: Self.subject())
        let bob = try await setup.fixture.credential(subject: Self.subject())
        let watcher = try await setup.connected("watcher", try await setup.fixture.credential(subject: ops))
        #expect(await watcher.subscribing("#") == 1)

        let intruder = try await setup.connected("intruder", alice)
        #expect(await intruder.publishing("users/\(bob.username)/x", "intrusion") == false, "no PUBACK for a refused publish")
        #expect(intruder.disconnectReason != nil, "the node closes the connection")

        // Alice's own message, sent after the refused one, proves the watcher's # delivers.
        let publisher = try await setup.connected("publisher", alice)
        #expect(await publisher.publishing("users/\(alice.username)/marker", "marker"))
        #expect(await watcher.waitingForMessage(on: "users/\(alice.username)/marker")?.payload == "marker")
        await watcher.pumping(seconds: 0.3)
        #expect(!watcher.messages.contains { $0.payload == "intrusion" })
    }

    @Test("a subscription that partly overlaps a deny is refused; one inside the grant only is allowed")
    func overlappingDeny() async throws {
        let rules = Self.ownTopics + "\n" + #"- {user: "%", topic: "users/%u/secret/#", permission: deny}"#
        let setup = try await Setup(rules: rules)
        let alice = try await setup.fixture.credential(subject: Self.subject())
        let wide = try await setup.connected("wide", alice)
        #expect(await wide.isClosedBySubscribing("users/\(alice.username)/#"), "users/<u>/# would receive users/<u>/secret/...")
        let secret = try await setup.connected("secret", alice)
        #expect(await secret.isClosedBySubscribing("users/\(alice.username)/secret/x"))

        let reader = try await setup.connected("public", alice)
        #expect(await reader.subscribing("users/\(alice.username)/public/#") == 1)
        let writer = try await setup.connected("writer", alice)
        #expect(await writer.publishing("users/\(alice.username)/public/x", "open"))
        #expect(await reader.waitingForMessage(on: "users/\(alice.username)/public/x")?.payload == "open")
    }

    @Test("users/+/x and # are refused to a user; a superuser may subscribe to both")
    func wildcards() async throws {
        let ops = Self.subject()
        let setup = try await Setup(superusers: [ops])
        let alice = try await setup.fixture.credential(subject: Self.subject())
        let admin = try await setup.fixture.credential(subject: ops)
        // Reaches the backend as routing key users.*.x.
        let plus = try await setup.connected("plus", alice)
        #expect(await plus.isClosedBySubscribing("users/+/x"))
        let hash = try await setup.connected("hash", alice)
        #expect(await hash.isClosedBySubscribing("#"))

        let superuser = try await setup.connected("ops", admin)
        #expect(await superuser.subscribing("#") == 1)
        #expect(await superuser.subscribing("users/+/x") == 1)
        let publisher = try await setup.connected("ops-pub", alice)
        #expect(await publisher.publishing("users/\(alice.username)/x", "seen"))
        #expect(await superuser.waitingForMessage(on: "users/\(alice.username)/x")?.payload == "seen")
    }

    @Test("with the daemon stopped new connections are refused at once; once it is back they connect")
    func daemonOutage() async throws {
        let setup = try await Setup()
        let alice = try await setup.fixture.credential(subject: Self.subject())
        #expect(await setup.connack("before", username: alice.username, password: alice.password) == 0)

        setup.fixture.stopDaemon()
        let started = Date()
        #expect(await setup.connack("during", username: alice.username, password: alice.password) == Self.badCredentials)
        // A closed port is noticed at once, not after the backend's 15 s request timeout.
        #expect(Date().timeIntervalSince(started) < 2.5)

        try setup.fixture.startDaemon()
        #expect(await setup.connack("after", username: alice.username, password: alice.password) == 0)
    }

    @Test("the rabbitmq: section with its defaults spelled out (vhost /, exchange amq.topic)")
    func explicitSection() async throws {
        let section = """
            rabbitmq:
              vhost: "/"
              exchange: amq.topic
            """
        let setup = try await Setup(method: .get, daemonYAML: section)
        let alice = try await setup.fixture.credential(subject: Self.subject())
        let client = try await setup.connected("section", alice)
        #expect(await client.subscribing("users/\(alice.username)/#") == 1)
        #expect(await client.publishing("users/\(alice.username)/x", "here"))
        #expect(await client.waitingForMessage(on: "users/\(alice.username)/x")?.payload == "here")
    }
}

/// MQTTTestClient's blocking steps on threads of their own (`offThePool`): each waits up to
/// seconds for the node, which must not hold one of the concurrency pool's two threads.
private extension MQTTTestClient {
    func subscribing(_ filter: String) async -> Int32? {
        await offThePool { self.subscribe(filter) }
    }

    /// True when the node answered the subscription by closing the connection, with no SUBACK:
    /// how RabbitMQ 3.10 refuses one.
    func isClosedBySubscribing(_ filter: String) async -> Bool {
        let granted = await subscribing(filter)
        return granted == nil && disconnectReason != nil
    }

    func publishing(_ topic: String, _ payload: String) async -> Bool {
        await offThePool { self.publish(topic, payload) }
    }

    func waitingForMessage(on topic: String) async -> Message? {
        await offThePool { self.waitForMessage(on: topic) }
    }

    func pumping(seconds: Double) async {
        _ = await offThePool { self.pump(seconds: seconds) }
    }
}
