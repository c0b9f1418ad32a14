import Foundation
import TestSupport
import Testing

/// The broker when its daemon is slow or restarting: it refuses new clients within the plugin's
/// timeout, keeps serving the clients it has, and never lets a wrong password in.
@Suite("Broker faults", .serialized)
struct BrokerFaultTests {
    @Test("a slow daemon: connections are refused within the timeout, other clients keep being served")
    func slowDaemon() async throws {
        let fixture = try BrokerFixture(rules: PluginEndToEndTests.ownTopics, startBroker: false)
        let proxy = try DelayingProxy(upstreamPort: fixture.daemonPort)
        try fixture.startBroker(config: fixture.brokerConfig(pluginOptions: ["url": "http://127.0.0.1:\(proxy.port)", "timeout_ms": "300"]))
        let alice = try await fixture.credential(subject: PluginEndToEndTests.subject())
        let connected = try fixture.connectedClient("slow-before", alice)
        #expect(connected.subscribe("users/\(alice.username)/#") == 1)

        proxy.delay = .seconds(3)
        for attempt in 0..<3 {
            let started = Date()
            let code = MQTTTestClient(id: "slow-\(attempt)").connect(port: fixture.tcpPort, username: alice.username, password: alice.password)
            let elapsed = Date().timeIntervalSince(started)
            #expect(code == MQTTTestClient.notAuthorised)
            // Refused on the plugin's 300 ms timeout, not after the daemon's 3 s answer.
            #expect(elapsed < 2.5, "refused after \(elapsed) s")
            #expect(connected.publish("users/\(alice.username)/during-\(attempt)", "served"))
            #expect(connected.waitForMessage(on: "users/\(alice.username)/during-\(attempt)")?.payload == "served")
        }
        #expect(fixture.broker?.log.contains("within 300 ms") == true)

        proxy.delay = .zero
        #expect(MQTTTestClient(id: "slow-after").connect(port: fixture.tcpPort, username: alice.username, password: alice.password) == 0)
        #expect(connected.isConnected)
    }

    @Test("a daemon restarting under load never lets a wrong password in")
    func restartUnderLoad() async throws {
        let fixture = try BrokerFixture(rules: PluginEndToEndTests.ownTopics)
        let alice = try await fixture.credential(subject: PluginEndToEndTests.subject())
        var wrongAccepted = 0
        var wrongTried = 0
        var rightAccepted = 0
        for phase in 0..<6 {
            // Phases alternate: daemon up, stopping, down, starting.
            switch phase {
            case 1, 4: fixture.daemon?.signal(SIGTERM)
            case 2, 5: _ = fixture.daemon?.waitForExit(); try fixture.startDaemon()
            default: break
            }
            for attempt in 0..<8 {
                let wrong = MQTTTestClient(id: "r-\(phase)-\(attempt)-wrong")
                wrongTried += 1
                if wrong.connect(port: fixture.tcpPort, username: alice.username, password: String(alice.password.reversed())) == 0 { wrongAccepted += 1 }
                let right = MQTTTestClient(id: "r-\(phase)-\(attempt)-right")
                if right.connect(port: fixture.tcpPort, username: alice.username, password: alice.password) == 0 { rightAccepted += 1 }
            }
        }
        #expect(wrongAccepted == 0, "\(wrongAccepted) of \(wrongTried) wrong passwords let in")
        #expect(rightAccepted > 0, "the right password works whenever the daemon is up")
        #expect(fixture.broker?.isRunning == true)
    }
}
