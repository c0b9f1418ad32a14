import Foundation
import NIOHTTP1
import TestSupport
import Testing

/// Revocation reaching live sessions on a real Mosquitto with the plugin (README "Refresh and
/// revocation"): the plugin polls the daemon's revocation feed on its tick and ends exactly
/// the client ids whose credential was revoked.
@Suite("Mosquitto: revocation ends live sessions", .serialized)
struct RevocationEndToEndTests {
    /// Pumps `clients` until `client` is disconnected or `seconds` pass; how long that took.
    private static func waitForDisconnect(_ client: MQTTTestClient, others: [MQTTTestClient], seconds: Double = 10) -> Double? {
        let started = Date()
        let deadline = started.addingTimeInterval(seconds)
        while Date() < deadline {
            for other in others { _ = other.pump(seconds: 0.02) }
            if client.pump(seconds: 0.05, until: { client.disconnectReason != nil }) || client.disconnectReason != nil {
                return Date().timeIntervalSince(started)
            }
        }
        return nil
    }

    @Test func terminatingAUserEndsBothOfTheirSessionsAndNoOneElses() async throws {
        let fixture = try BrokerFixture(rules: PluginEndToEndTests.ownTopics, daemonYAML: BrokerFixture.adminKeysYAML)
        let subject = PluginEndToEndTests.subject()
        let alice = try await fixture.credential(subject: subject)
        let aliceAgain = try await fixture.credential(subject: subject)
        let bob = try await fixture.credential(subject: PluginEndToEndTests.subject())
        let phone = try fixture.connectedClient("t-alice-phone", alice)
        let laptop = try fixture.connectedClient("t-alice-laptop", aliceAgain)
        let other = try fixture.connectedClient("t-bob", bob)
        #expect(other.subscribe("users/\(bob.username)/#") == 1)
        #expect(try await fixture.admin(.POST, "/v2/users/\(alice.username)/terminate") == 200)
        let first = await offThePool { Self.waitForDisconnect(phone, others: [laptop, other]) }
        let second = await offThePool { Self.waitForDisconnect(laptop, others: [other]) }
        #expect(first != nil && second != nil, "a terminated user's session is still up 10 s later")
        print("terminate: sessions ended after \(first ?? -1) s and \(second ?? -1) s more")
        #expect(other.isConnected)
        #expect(other.publish("users/\(bob.username)/after", "still here"))
        #expect(other.waitForMessage(on: "users/\(bob.username)/after")?.payload == "still here")
        #expect(fixture.broker?.log.contains("the credential of client 't-alice-phone' was revoked") == true)
        // The revoked credentials no longer connect.
        #expect(MQTTTestClient(id: "t-alice-back").connect(port: fixture.tcpPort, username: alice.username, password: alice.password) == MQTTTestClient.notAuthorised)
    }

    @Test func revokingOneTokenEndsOnlyTheSessionsThatUsedIt() async throws {
        let fixture = try BrokerFixture(rules: PluginEndToEndTests.ownTopics, daemonYAML: BrokerFixture.adminKeysYAML)
        let subject = PluginEndToEndTests.subject()
        let old = try await fixture.credential(subject: subject)
        let fresh = try await fixture.credential(subject: subject)
        let first = try fixture.connectedClient("r-old-1", old)
        let second = try fixture.connectedClient("r-old-2", old)
        let kept = try fixture.connectedClient("r-fresh", fresh)
        #expect(kept.subscribe("users/\(fresh.username)/#") == 1)
        #expect(try await fixture.admin(.DELETE, "/v2/tokens/\(old.tokenID)") == 200)
        #expect(await offThePool { Self.waitForDisconnect(first, others: [kept]) } != nil)
        #expect(await offThePool { Self.waitForDisconnect(second, others: [kept]) } != nil)
        #expect(kept.isConnected, "the same user's session on a fresh credential ended too")
        #expect(kept.publish("users/\(fresh.username)/still", "up"))
        #expect(kept.waitForMessage(on: "users/\(fresh.username)/still")?.payload == "up")
    }

    @Test func aPluginCutOffDuringARevocationEndsTheSessionOnceTheDaemonIsBack() async throws {
        let fixture = try BrokerFixture(rules: PluginEndToEndTests.ownTopics, startBroker: false, daemonYAML: BrokerFixture.adminKeysYAML)
        let proxy = try DelayingProxy(upstreamPort: fixture.daemonPort)
        try fixture.startBroker(config: fixture.brokerConfig(pluginOptions: ["url": "http://127.0.0.1:\(proxy.port)", "timeout_ms": "300"]))
        let alice = try await fixture.credential(subject: PluginEndToEndTests.subject())
        let client = try fixture.connectedClient("cut-off", alice)
        // The daemon as the plugin sees it is gone; the revocation is made at the daemon itself.
        proxy.delay = .seconds(30)
        #expect(try await fixture.admin(.DELETE, "/v2/tokens/\(alice.tokenID)") == 200)
        #expect(await offThePool { Self.waitForDisconnect(client, others: [], seconds: 3) } == nil, "ended without reaching the daemon")
        let broker = fixture.broker
        #expect(await offThePool { broker?.waitForLog("cannot read the daemon's revocations") == true })
        proxy.delay = .zero
        #expect(await offThePool { Self.waitForDisconnect(client, others: [], seconds: 15) } != nil, "still up after the daemon came back")
    }
}
