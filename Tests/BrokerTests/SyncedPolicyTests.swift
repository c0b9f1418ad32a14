import Foundation
import TestSupport
import Testing

/// The plugin's `synced` mode, failover across daemons and the broker token, against Debian's
/// mosquitto and the real daemon (README "Running several daemons").
@Suite("Mosquitto with a central policy and several daemons", .serialized)
struct SyncedPolicyTests {
    static let ownTopics = PluginEndToEndTests.ownTopics
    static let extra = ownTopics + "\n" + #"- {user: "%", topic: "extra/#", permission: subscribe}"#

    /// Subscribes to `filter` every 100 ms until the broker grants it, for up to `seconds`;
    /// returns how long that took, or nil.
    func grantTime(_ client: MQTTTestClient, _ filter: String, seconds: Double) -> Double? {
        let started = Date()
        while Date().timeIntervalSince(started) < seconds {
            if client.subscribe(filter) == 1 { return Date().timeIntervalSince(started) }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return nil
    }

    @Test("a SIGHUP on the daemon changes SUBACKs on a live connection, with no config on the broker")
    func rulesFollowTheDaemon() async throws {
        let fixture = try BrokerFixture(rules: Self.ownTopics, pluginOptions: ["acl": "synced", "config": ""])
        #expect(fixture.broker?.waitForLog("applied policy") == true, "\(fixture.broker?.log.suffix(1500) ?? "")")
        let alice = try await fixture.credential(subject: PluginEndToEndTests.subject())
        let client = try fixture.connectedClient("s-alice", alice)
        #expect(client.subscribe("users/\(alice.username)/#") == 1)
        #expect(client.subscribe("extra/news") == MQTTTestClient.refused)

        try fixture.writeConfig(rules: Self.extra)
        fixture.daemon?.signal(SIGHUP)
        let took = grantTime(client, "extra/news", seconds: 10)
        #expect(took != nil, "the new rule never reached the broker:\n\(fixture.broker?.log.suffix(1500) ?? "")")
        #expect(client.subscribe("other/#") == MQTTTestClient.refused)
        // A broken config on the daemon is refused there; the broker keeps the policy in force.
        try fixture.writeConfig(rules: Self.extra + "\n" + #"- {user: "%", topic: "x/#", permission: sometimes}"#)
        fixture.daemon?.signal(SIGHUP)
        #expect(fixture.daemon?.waitForLog("reload refused") == true)
        #expect(client.subscribe("extra/more") == 1)
        #expect(client.isConnected)
    }

    @Test("a daemon that is down at broker start: every check denied, then the right answers once it is up")
    func daemonDownAtStart() async throws {
        let fixture = try BrokerFixture(rules: Self.ownTopics, startBroker: false)
        fixture.stopDaemon()
        try fixture.startBroker(config: fixture.brokerConfig(pluginOptions: ["acl": "synced", "config": "", "timeout_ms": "300"]))
        #expect(fixture.broker?.waitForLog("no policy from the daemon yet") == true)
        #expect(fixture.broker?.isRunning == true, "the broker starts without a policy")

        try fixture.startDaemon()
        let alice = try await fixture.credential(subject: PluginEndToEndTests.subject())
        let client = try fixture.connectedClient("s-late", alice)
        #expect(grantTime(client, "users/\(alice.username)/#", seconds: 10) != nil, "\(fixture.broker?.log.suffix(1500) ?? "")")
        #expect(fixture.broker?.log.contains("applied policy") == true)
        #expect(client.subscribe("users/someone-else/#") == MQTTTestClient.refused)

        // Later outages keep the last good policy.
        fixture.stopDaemon()
        #expect(fixture.broker?.waitForLog("keeping the last one") == true)
        #expect(client.subscribe("users/\(alice.username)/more") == 1)
        #expect(client.subscribe("users/someone-else/more") == MQTTTestClient.refused)
    }

    @Test("with the first daemon down, CONNECTs are decided by the next one within the timeout")
    func failover() async throws {
        let fixture = try BrokerFixture(rules: Self.ownTopics, startBroker: false)
        let dead = try FreePort.next()
        let urls = "http://127.0.0.1:\(dead),http://127.0.0.1:\(fixture.daemonPort)"
        try fixture.startBroker(config: fixture.brokerConfig(pluginOptions: ["url": urls, "acl": "http", "config": "", "timeout_ms": "1500"]))
        let alice = try await fixture.credential(subject: PluginEndToEndTests.subject())
        for attempt in 0..<4 {
            let started = Date()
            let code = MQTTTestClient(id: "f-\(attempt)").connect(port: fixture.tcpPort, username: alice.username, password: alice.password)
            #expect(code == 0, "\(fixture.broker?.log.suffix(1500) ?? "")")
            #expect(Date().timeIntervalSince(started) < 5, "decided within the timeout, not after it")
            #expect(MQTTTestClient(id: "f-wrong-\(attempt)").connect(port: fixture.tcpPort, username: alice.username, password: "wrong") == MQTTTestClient.notAuthorised)
        }
        let client = try fixture.connectedClient("f-acl", alice)
        #expect(client.subscribe("users/\(alice.username)/#") == 1, "ACL checks fail over too")
        #expect(client.subscribe("users/other/#") == MQTTTestClient.refused)
        // Both down: refused, never let in.
        fixture.stopDaemon()
        #expect(MQTTTestClient(id: "f-none").connect(port: fixture.tcpPort, username: alice.username, password: alice.password) == MQTTTestClient.notAuthorised)
        #expect(fixture.broker?.isRunning == true)
    }

    @Test("a daemon that requires the broker token: the plugin sends it from its token file")
    func brokerToken() async throws {
        let token = "broker-token-\(UUID().uuidString)"
        let fixture = try BrokerFixture(rules: Self.ownTopics, startBroker: false, daemonYAML: "broker: {token: \"\(token)\"}")
        let tokenFile = try fixture.folder.write("broker-token", token + "\n")
        try fixture.startBroker(config: fixture.brokerConfig(pluginOptions: ["acl": "synced", "config": "", "token_file": tokenFile]))
        #expect(fixture.broker?.waitForLog("applied policy") == true)
        let alice = try await fixture.credential(subject: PluginEndToEndTests.subject())
        let client = try fixture.connectedClient("t-alice", alice)
        #expect(client.subscribe("users/\(alice.username)/#") == 1)
        #expect(fixture.broker?.log.contains(token) == false, "the token is never logged")
        #expect(fixture.daemon?.log.contains(token) == false)

        // The same broker without the token is refused by the daemon: nobody gets in.
        let second = try BrokerFixture(rules: Self.ownTopics, startBroker: false, daemonYAML: "broker: {token: \"\(token)\"}")
        try second.startBroker(config: second.brokerConfig(pluginOptions: ["acl": "http", "config": ""]))
        let bob = try await second.credential(subject: PluginEndToEndTests.subject())
        #expect(MQTTTestClient(id: "t-bob").connect(port: second.tcpPort, username: bob.username, password: bob.password) == MQTTTestClient.notAuthorised)
        #expect(second.broker?.log.contains("answered /mqtt/auth with 401") == true, "\(second.broker?.log.suffix(800) ?? "")")
    }
}
