import Foundation
import Hummingbird
import HummingbirdTesting
import MQTTAuthCore
@testable import MQTTAuthServer
import NIOCore
import Testing
import TestSupport

/// One table of decisions, asked through every protocol's adapter on the daemon's own socket
/// (the fast path), and through the Mosquitto plugin's in-process check (the compiled ACL it
/// holds): they must agree (docs/architecture.md §2.8).
///
/// Where they must differ, the row says so: a subscribe that partly overlaps a deny rule is
/// allowed on Mosquitto (go-auth, the plugin), which checks every delivered message, and
/// refused on EMQX, RabbitMQ and VerneMQ, which do not (README "Subscriptions on other brokers").
@Suite("Decision layer: every adapter agrees")
struct DecisionLayerTests {
    struct Row: Sendable, CustomStringConvertible {
        let user: String
        let topic: String
        let subscribe: Bool
        /// On Mosquitto (go-auth and the plugin).
        let mosquitto: Bool
        /// On brokers without a per-delivery check.
        let strict: Bool

        var description: String { "\(user) \(subscribe ? "subscribe" : "publish") \(topic)" }
    }

    static let rows: [Row] = [
        Row(user: "alice", topic: "users/alice/x", subscribe: false, mosquitto: true, strict: true),
        Row(user: "alice", topic: "users/alice/secret/x", subscribe: false, mosquitto: false, strict: false),
        Row(user: "alice", topic: "users/bob/x", subscribe: false, mosquitto: false, strict: false),
        Row(user: "alice", topic: "users/alice/public/#", subscribe: true, mosquitto: true, strict: true),
        // `users/alice/secret` matches both this filter and `users/alice/secret/#` (a `#` also
        // matches its parent level).
        Row(user: "alice", topic: "users/alice/+", subscribe: true, mosquitto: true, strict: false),
        Row(user: "alice", topic: "users/alice/+/y", subscribe: true, mosquitto: true, strict: false),
        Row(user: "alice", topic: "users/alice/public/+", subscribe: true, mosquitto: true, strict: true),
        // Partly overlaps `users/alice/secret/#`: the one place the protocols differ.
        Row(user: "alice", topic: "users/alice/#", subscribe: true, mosquitto: true, strict: false),
        Row(user: "alice", topic: "users/alice/+/x", subscribe: true, mosquitto: true, strict: false),
        Row(user: "alice", topic: "users/alice/secret/#", subscribe: true, mosquitto: false, strict: false),
        Row(user: "alice", topic: "users/+/x", subscribe: true, mosquitto: false, strict: false),
        Row(user: "alice", topic: "#", subscribe: true, mosquitto: false, strict: false),
        Row(user: "ops", topic: "#", subscribe: true, mosquitto: true, strict: true),
        Row(user: "ops", topic: "users/alice/secret/x", subscribe: false, mosquitto: true, strict: true),
    ]

    /// Each adapter's request for a row, and how to read its answer as allowed or not.
    static func ask(_ row: Row, brokerProtocol: BrokerProtocol) -> (request: String, allowed: (RawHTTP.Answer) -> Bool) {
        func post(_ path: String, _ type: String, _ body: String) -> String {
            "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: \(type)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        }
        let json = "application/json"
        switch brokerProtocol {
        case .goAuth:
            let body = #"{"username":"\#(row.user)","clientid":"c1","topic":"\#(row.topic)","acc":\#(row.subscribe ? 4 : 2)}"#
            return (post("/mqtt/acl", json, body), { $0.status == 200 })
        case .emqx:
            let body = #"{"username":"\#(row.user)","clientid":"c1","topic":"\#(row.topic)","action":"\#(row.subscribe ? "subscribe" : "publish")"}"#
            return (post("/emqx/authz", json, body), { $0.status == 200 && $0.body.contains(#""result":"allow""#) })
        case .rabbitMQ:
            let key = row.topic.replacingOccurrences(of: "/", with: ".").replacingOccurrences(of: "+", with: "*")
            let fields = RabbitMQRouterTests.topic(row.user, key, row.subscribe ? "read" : "write")
            let body = fields.map { "\(RabbitMQRouterTests.quotePlus($0.0))=\(RabbitMQRouterTests.quotePlus($0.1))" }.joined(separator: "&")
            return (post("/rabbitmq/topic", "application/x-www-form-urlencoded", body), { $0.status == 200 && $0.body == "allow" })
        case .verneMQ:
            let body = row.subscribe
                ? VerneMQReplayTests.subscribe(row.user, [(row.topic, 1)])
                : VerneMQReplayTests.publish(row.user, row.topic)
            let path = row.subscribe ? "/vernemq/auth_on_subscribe" : "/vernemq/auth_on_publish"
            return (post(path, json, body), { $0.status == 200 && $0.body == #"{"result":"ok"}"# })
        }
    }

    /// Whether a protocol's broker checks every delivered message, so that the lenient rule holds.
    static func checksDeliveries(_ brokerProtocol: BrokerProtocol) -> Bool {
        brokerProtocol == .goAuth
    }

    @Test func everyAdapterAgreesWithTheTable() async throws {
        let fixture = try ServerFixture(extraYAML: secretDenyYAML)
        try await fixture.server.test(.live) { client in
            let port = try #require(client.port)
            for brokerProtocol in BrokerProtocol.allCases {
                let asks = Self.rows.map { Self.ask($0, brokerProtocol: brokerProtocol) }
                let answers = try await RawHTTP.answers(port: port, asks.map(\.request).joined(), count: asks.count)
                try #require(answers.count == asks.count, "\(brokerProtocol): \(answers.count) answers")
                for (index, row) in Self.rows.enumerated() {
                    let expected = Self.checksDeliveries(brokerProtocol) ? row.mosquitto : row.strict
                    #expect(asks[index].allowed(answers[index]) == expected, "\(brokerProtocol): \(row) → \(answers[index])")
                }
            }
        }
        // The plugin decides in-process, with the policy the daemon compiled (`/v2/policy`).
        let acl = fixture.parts.runtime.current.acl
        for row in Self.rows {
            let allowed = acl.isAllowed(user: row.user, clientID: "c1", topic: row.topic, access: row.subscribe ? .subscribe : .publish)
            #expect(allowed == row.mosquitto, "plugin: \(row)")
        }
    }

    /// Every row of the endpoint table is routed, served by the fast path and labelled.
    @Test func theEndpointTableFeedsRouterFastPathAndMetrics() async throws {
        let fixture = try ServerFixture()
        let labels = Set(BrokerEndpoint.table.map(\.metricsLabel))
        #expect(labels.count == BrokerEndpoint.table.count, "labels are unique")
        #expect(Set(BrokerEndpoint.table.map(\.id)).count == BrokerEndpoint.ID.allCases.count, "every id has one row")
        try await fixture.server.test(.live) { client in
            let port = try #require(client.port)
            for endpoint in BrokerEndpoint.table {
                #expect(BrokerEndpoint.find(uri: endpoint.path + "?a=b")?.id == endpoint.id)
                let answers = try await RawHTTP.answers(port: port, "POST \(endpoint.path) HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", count: 1)
                let status = try #require(answers.first?.status)
                #expect(status != 404 && status < 500, "\(endpoint.path): \(status)")
            }
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            for endpoint in BrokerEndpoint.table {
                #expect(String(buffer: metrics.body).contains(#"endpoint="\#(endpoint.metricsLabel)""#), "\(endpoint.metricsLabel)")
            }
        }
        try await fixture.application.test(.router) { client in
            for endpoint in BrokerEndpoint.table {
                let response = try await client.execute(uri: endpoint.path, method: .post)
                #expect(response.status != .notFound && response.status.code < 500, "router: \(endpoint.path)")
            }
        }
    }
}
