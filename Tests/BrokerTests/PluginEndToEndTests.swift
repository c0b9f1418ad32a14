import Foundation
import TestSupport
import Testing

/// docs/architecture.md §2 and §7 against the real broker: Debian's mosquitto loads our plugin,
/// the real daemon issues and checks credentials, and real MQTT clients (libmosquitto, and paho
/// over WebSockets) connect, subscribe and publish.
@Suite("Mosquitto with the plugin", .serialized)
struct PluginEndToEndTests {
    static let ownTopics = #"- {user: "%", topic: "users/%u/#", permission: pubsub}"#

    static func subject() -> String { UUID().uuidString.lowercased() }

    @Test("(a) valid credentials connect; a wrong password, an unknown user or none are not authorised")
    func connectAuthentication() async throws {
        let fixture = try BrokerFixture(rules: Self.ownTopics)
        let alice = try await fixture.credential(subject: Self.subject())
        #expect(MQTTTestClient(id: "a-ok").connect(port: fixture.tcpPort, username: alice.username, password: alice.password) == 0)
        #expect(MQTTTestClient(id: "a-wrong").connect(port: fixture.tcpPort, username: alice.username, password: alice.password + "x") == MQTTTestClient.notAuthorised)
        #expect(MQTTTestClient(id: "a-unknown").connect(port: fixture.tcpPort, username: Self.subject(), password: alice.password) == MQTTTestClient.notAuthorised)
        #expect(MQTTTestClient(id: "a-none").connect(port: fixture.tcpPort, username: nil, password: nil) == MQTTTestClient.notAuthorised)
        #expect(MQTTTestClient(id: "a-nopass").connect(port: fixture.tcpPort, username: alice.username, password: nil) == MQTTTestClient.notAuthorised)
        #expect(fixture.broker?.isRunning == true)
        // The broker logs at log_type all: the plugin never writes a password there.
        #expect(fixture.broker?.log.contains(alice.password) == false)
    }

    @Test("(b) a user's messages reach their own subscriber and never another user's")
    func ownTopicsOnly() async throws {
        let fixture = try BrokerFixture(rules: Self.ownTopics)
        let alice = try await fixture.credential(subject: Self.subject())
        let bob = try await fixture.credential(subject: Self.subject())
        let alicePublisher = try fixture.connectedClient("b-alice-pub", alice)
        let aliceSubscriber = try fixture.connectedClient("b-alice-sub", alice)
        let bobSubscriber = try fixture.connectedClient("b-bob-sub", bob)
        #expect(aliceSubscriber.subscribe("users/\(alice.username)/#") == 1)
        #expect(bobSubscriber.subscribe("users/\(bob.username)/#") == 1)

        #expect(alicePublisher.publish("users/\(alice.username)/x", "mine"))
        #expect(aliceSubscriber.waitForMessage(on: "users/\(alice.username)/x")?.payload == "mine")

        // The broker acknowledges the forbidden publish too; by then it has decided its fate.
        #expect(alicePublisher.publish("users/\(bob.username)/x", "intrusion"))
        // Bob's own message, sent after Alice's, proves his subscription delivers.
        let bobPublisher = try fixture.connectedClient("b-bob-pub", bob)
        #expect(bobPublisher.publish("users/\(bob.username)/y", "his"))
        #expect(bobSubscriber.waitForMessage(on: "users/\(bob.username)/y")?.payload == "his")
        bobSubscriber.pump(seconds: 0.3)
        #expect(!bobSubscriber.messages.contains { $0.payload == "intrusion" })
    }

    @Test("(c) subscriptions to another user's topics or to wide filters are refused in the SUBACK")
    func wideSubscriptionsRefused() async throws {
        let fixture = try BrokerFixture(rules: Self.ownTopics)
        let alice = try await fixture.credential(subject: Self.subject())
        let bob = try await fixture.credential(subject: Self.subject())
        let client = try fixture.connectedClient("c-alice", alice)
        #expect(client.subscribe("users/\(alice.username)/#") == 1)
        #expect(client.subscribe("users/\(alice.username)/+/deep") == 1)
        for filter in ["users/\(bob.username)/#", "users/+/x", "#", "users/#", "+/\(alice.username)/#", "$SYS/#"] {
            #expect(client.subscribe(filter) == MQTTTestClient.refused, "\(filter)")
        }
        #expect(client.isConnected)
    }

    @Test("(d) # never delivers $SYS messages to a non-superuser; a superuser gets them from $SYS/#")
    func sysTopicsStayPrivate() async throws {
        let ops = Self.subject()
        let carol = Self.subject()
        let rules = Self.ownTopics + "\n" + ##"- {user: "\##(carol)", topic: "#", permission: subscribe}"##
        let fixture = try BrokerFixture(rules: rules, superusers: [ops])
        let reader = try fixture.connectedClient("d-carol", try await fixture.credential(subject: carol))
        let admin = try fixture.connectedClient("d-ops", try await fixture.credential(subject: ops))
        #expect(reader.subscribe("#") == 1)
        #expect(reader.subscribe("+/broker/#") == 1)
        #expect(reader.subscribe("$SYS/#") == MQTTTestClient.refused)
        #expect(admin.subscribe("$SYS/#") == 1)
        // sys_interval is 1 s: wait until the superuser has seen two rounds of $SYS updates.
        let deadline = Date().addingTimeInterval(6)
        while admin.messages.filter({ $0.topic.hasPrefix("$SYS/broker/uptime") }).count < 2, Date() < deadline {
            admin.pump(seconds: 0.05)
            reader.pump(seconds: 0.05)
        }
        #expect(admin.messages.filter { $0.topic.hasPrefix("$SYS/broker/uptime") }.count >= 2)
        reader.pump(seconds: 0.2)
        #expect(reader.messages.filter { $0.topic.hasPrefix("$") }.isEmpty)
        // ... while # does deliver ordinary topics to the same reader.
        let ownWriter = try fixture.connectedClient("d-ops-writer", try await fixture.credential(subject: ops))
        #expect(ownWriter.publish("news/today", "hello"))
        #expect(reader.waitForMessage(on: "news/today")?.payload == "hello")
    }

    @Test("(e) a session ends within 2 s of its credential's expiry; the user's fresh session stays up")
    func expiredSessionsAreDisconnected() async throws {
        let fixture = try BrokerFixture(rules: Self.ownTopics)
        let subject = Self.subject()
        let shortLived = try await fixture.credential(subject: subject, ttl: 3)
        let fresh = try await fixture.credential(subject: subject)
        let expiring = try fixture.connectedClient("e-expiring", shortLived)
        let staying = try fixture.connectedClient("e-staying", fresh)
        #expect(staying.subscribe("users/\(fresh.username)/#") == 1)

        expiring.pump(seconds: shortLived.expiresAt.timeIntervalSinceNow + 5) { expiring.disconnectReason != nil }
        let endedAt = Date()
        #expect(expiring.disconnectReason != nil, "still connected 5 s after expiry")
        #expect(endedAt.timeIntervalSince(shortLived.expiresAt) <= 2, "ended \(endedAt.timeIntervalSince(shortLived.expiresAt)) s after expiry")
        #expect(endedAt.timeIntervalSince(shortLived.expiresAt) >= -0.05, "ended before expiry")
        #expect(fixture.broker?.log.contains("the credential of client 'e-expiring' has expired") == true)

        // The other session of the same user is untouched and still works.
        #expect(staying.publish("users/\(fresh.username)/still", "here"))
        #expect(staying.waitForMessage(on: "users/\(fresh.username)/still")?.payload == "here")
        #expect(staying.isConnected)
        // And the expired credential no longer connects.
        #expect(MQTTTestClient(id: "e-again").connect(port: fixture.tcpPort, username: shortLived.username, password: shortLived.password) == MQTTTestClient.notAuthorised)
    }

    @Test("(f) a broker SIGHUP applies edited rules; a broken file keeps the rules in force")
    func reloadOnSighup() async throws {
        let fixture = try BrokerFixture(rules: Self.ownTopics)
        let alice = try await fixture.credential(subject: Self.subject())
        let client = try fixture.connectedClient("f-alice", alice)
        #expect(client.subscribe("extra/news") == MQTTTestClient.refused)

        try fixture.writeConfig(rules: Self.ownTopics + "\n" + #"- {user: "%", topic: "extra/#", permission: subscribe}"#)
        #expect(fixture.reloadBroker(expecting: "reloaded 2 rules"))
        #expect(client.subscribe("extra/news") == 1)

        try fixture.writeConfig(rules: Self.ownTopics + "\n" + #"- {user: "%", topic: "extra/#", permission: sometimes}"#)
        #expect(fixture.reloadBroker(expecting: "keeping the rules loaded before"))
        let log = fixture.broker?.log ?? ""
        #expect(log.contains(fixture.configPath + ":"), "the log names the file and line:\n\(log.suffix(1500))")
        #expect(log.contains("sometimes"))
        #expect(client.subscribe("extra/more") == 1)
        #expect(client.subscribe("users/\(alice.username)/z") == 1)
        #expect(client.subscribe("other/#") == MQTTTestClient.refused)
    }

    @Test("(g) with the daemon down new connections are refused and the broker keeps serving")
    func daemonOutage() async throws {
        // A long timeout, to show that a daemon that is down is noticed at once, not after it.
        let fixture = try BrokerFixture(rules: Self.ownTopics, pluginOptions: ["timeout_ms": "5000"])
        let alice = try await fixture.credential(subject: Self.subject())
        let connected = try fixture.connectedClient("g-before", alice)
        #expect(connected.subscribe("users/\(alice.username)/#") == 1)

        fixture.stopDaemon()
        let started = Date()
        #expect(MQTTTestClient(id: "g-during").connect(port: fixture.tcpPort, username: alice.username, password: alice.password) == MQTTTestClient.notAuthorised)
        #expect(Date().timeIntervalSince(started) < 2.5, "refused at once, not after the 5 s timeout")
        #expect(fixture.broker?.log.contains("refusing client 'g-during'") == true)
        #expect(connected.publish("users/\(alice.username)/during", "up"))
        #expect(connected.waitForMessage(on: "users/\(alice.username)/during")?.payload == "up")

        #expect(fixture.broker?.log.contains(alice.password) == false, "a refusal's log line holds no password")
        try fixture.startDaemon()
        #expect(MQTTTestClient(id: "g-after").connect(port: fixture.tcpPort, username: alice.username, password: alice.password) == 0)
        #expect(fixture.broker?.isRunning == true)
    }

    @Test("(h) client ids with /, + or # gain nothing through %c; usernames like that never connect")
    func placeholderInjection() async throws {
        let ops = Self.subject()
        let rules = #"- {user: "%", topic: "clients/%c/#", permission: pubsub}"#
        let fixture = try BrokerFixture(rules: rules, superusers: [ops])
        let alice = try await fixture.credential(subject: Self.subject())
        let watcher = try fixture.connectedClient("h-watcher", try await fixture.credential(subject: ops))
        #expect(watcher.subscribe("clients/#") == 1)

        let good = try fixture.connectedClient("good", alice)
        #expect(good.subscribe("clients/good/#") == 1)
        #expect(good.publish("clients/good/x", "fine"))
        #expect(watcher.waitForMessage(on: "clients/good/x")?.payload == "fine")

        for (id, filter, topic) in [("a/b", "clients/a/b/#", "clients/a/b/x"), ("+", "clients/+/#", "clients/plus/x"), ("#", "clients/#", "clients/hash/x"), ("x/#", "clients/x/#", "clients/x/y")] {
            let client = try fixture.connectedClient(id, alice)
            #expect(client.subscribe(filter) == MQTTTestClient.refused, "client id \(id) subscribing \(filter)")
            #expect(client.publish(topic, "sneaky-\(id)"))
        }
        #expect(good.publish("clients/good/end", "marker"))
        #expect(watcher.waitForMessage(on: "clients/good/end") != nil)
        #expect(!watcher.messages.contains { $0.payload.hasPrefix("sneaky") })

        for username in ["+", "#", "a/b", alice.username + "/#"] {
            #expect(MQTTTestClient(id: "h-user").connect(port: fixture.tcpPort, username: username, password: alice.password) == MQTTTestClient.notAuthorised)
        }
    }

    @Test("(i) WebSocket clients (paho) are authenticated and ACL-checked like TCP clients")
    func webSocketClients() async throws {
        let fixture = try BrokerFixture(rules: Self.ownTopics)
        let alice = try await fixture.credential(subject: Self.subject())
        let bob = try await fixture.credential(subject: Self.subject())
        let good = try PahoWebSocketClient.run(port: fixture.webSocketPort, username: alice.username, password: alice.password, own: "users/\(alice.username)", other: "users/\(bob.username)", folder: fixture.folder)
        #expect(good.connack == 0)
        #expect(good.ownSubscription == 1)
        #expect(good.otherSubscription == MQTTTestClient.refused)
        #expect(good.received == ["users/\(alice.username)/ws"])
        let bad = try PahoWebSocketClient.run(port: fixture.webSocketPort, username: alice.username, password: "wrong", own: "users/\(alice.username)", other: "users/\(bob.username)", folder: fixture.folder)
        #expect(bad.connack == MQTTTestClient.notAuthorised)
    }

    @Test("mosquitto.conf.example, with this test's ports and paths, runs as documented")
    func exampleConfiguration() async throws {
        let fixture = try BrokerFixture(rules: Self.ownTopics, exampleBroker: true)
        let alice = try await fixture.credential(subject: Self.subject())
        let client = try fixture.connectedClient("example-tcp", alice)
        #expect(client.subscribe("users/\(alice.username)/#") == 1)
        #expect(client.subscribe("#") == MQTTTestClient.refused)
        #expect(MQTTTestClient(id: "example-anon").connect(port: fixture.tcpPort, username: nil, password: nil) == MQTTTestClient.notAuthorised)
        let web = try PahoWebSocketClient.run(port: fixture.webSocketPort, username: alice.username, password: alice.password, own: "users/\(alice.username)", other: "users/other", folder: fixture.folder)
        #expect(web.connack == 0 && web.ownSubscription == 1 && web.otherSubscription == MQTTTestClient.refused)
    }

    @Test("http ACL mode asks /mqtt/acl for each check and fails closed without the daemon")
    func httpACLMode() async throws {
        let fixture = try BrokerFixture(rules: Self.ownTopics, pluginOptions: ["acl": "http", "config": ""])
        let alice = try await fixture.credential(subject: Self.subject())
        let bob = try await fixture.credential(subject: Self.subject())
        let client = try fixture.connectedClient("http-alice", alice)
        #expect(client.subscribe("users/\(alice.username)/#") == 1)
        #expect(client.subscribe("users/\(bob.username)/#") == MQTTTestClient.refused)
        #expect(client.publish("users/\(alice.username)/x", "via http"))
        #expect(client.waitForMessage(on: "users/\(alice.username)/x")?.payload == "via http")

        fixture.stopDaemon()
        #expect(client.subscribe("users/\(alice.username)/later") == MQTTTestClient.refused)
        #expect(fixture.broker?.isRunning == true)
    }

    @Test("oversized and odd client input is decided, never crashed on")
    func oddInput() async throws {
        let fixture = try BrokerFixture(rules: Self.ownTopics)
        let alice = try await fixture.credential(subject: Self.subject())
        let huge = String(repeating: "p", count: 65_000)
        #expect(MQTTTestClient(id: "odd-1").connect(port: fixture.tcpPort, username: alice.username, password: huge) == MQTTTestClient.notAuthorised)
        #expect(MQTTTestClient(id: "odd-2").connect(port: fixture.tcpPort, username: huge, password: alice.password) == MQTTTestClient.notAuthorised)
        #expect(MQTTTestClient(id: "odd-3").connect(port: fixture.tcpPort, username: "", password: "") == MQTTTestClient.notAuthorised)
        let client = try fixture.connectedClient("odd-4", alice)
        // Mosquitto itself drops a client whose topic has more than 200 levels; up to there
        // the plugin decides.
        let deep = "users/\(alice.username)/" + Array(repeating: "l", count: 190).joined(separator: "/")
        #expect(client.subscribe(deep) == 1)
        #expect(client.publish(deep, "deep"))
        #expect(client.waitForMessage(on: deep)?.payload == "deep")
        let wide = client.subscribe("users/" + String(repeating: "x", count: 60_000))
        #expect(wide == MQTTTestClient.refused)
        #expect(fixture.broker?.isRunning == true)
    }
}
