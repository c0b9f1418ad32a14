import Foundation
import HTTPTypes

/// The broker protocols the daemon answers, one adapter each (docs/architecture.md §2.8).
enum BrokerProtocol: String, Sendable, CaseIterable {
    /// mosquitto-go-auth's HTTP backend and jpmens mosquitto-auth-plug, and our own plugin.
    case goAuth = "go-auth"
    case emqx
    case rabbitMQ = "rabbitmq"
    case verneMQ = "vernemq"
}

/// One row of the broker endpoint table: where it is, which protocol speaks it, which
/// decision it calls and what `/metrics` calls it. `BrokerController` registers every row
/// with Hummingbird's router, `BrokerFastPath` answers every row on the event loop, and
/// `ServerMetrics` labels every row, all from `BrokerEndpoint.table`: a new endpoint is a new
/// row, not three edits.
struct BrokerEndpoint: Sendable, Hashable {
    /// Every endpoint, named for what the adapters switch on.
    enum ID: Sendable, Hashable, CaseIterable {
        case mqttAuth, mqttSuperuser, mqttACL
        case emqxAuthn, emqxAuthz
        case rabbitUser, rabbitVhost, rabbitResource, rabbitTopic
        case verneRegister, verneRegisterM5, vernePublish, vernePublishM5, verneSubscribe, verneSubscribeM5
    }

    /// Which `BrokerDecisions` function the endpoint calls; `.none` for RabbitMQ's vhost and
    /// resource checks, which its adapter answers from the `rabbitmq` settings alone.
    enum Decision: Sendable, Hashable {
        case authenticate, superuser, check, none
    }

    let id: ID
    let path: String
    let brokerProtocol: BrokerProtocol
    let decision: Decision
    let methods: [HTTPRequest.Method]
    /// The `endpoint` label of `mqtt_authd_http_requests_total`.
    let metricsLabel: String
    /// Bodies larger than this are refused.
    let bodyLimit: Int

    /// Most bodies are a few hundred bytes.
    static let defaultBodyLimit = 64 * 1024
    /// VerneMQ's `auth_on_publish` carries the message's payload in base64 unless the webhook
    /// is configured with `no_payload = on` (README "VerneMQ"); an MQTT message may be large.
    static let publishBodyLimit = 4 * 1024 * 1024

    static let table: [BrokerEndpoint] = [
        row(.mqttAuth, "/mqtt/auth", .goAuth, .authenticate, "auth"),
        row(.mqttSuperuser, "/mqtt/superuser", .goAuth, .superuser, "superuser"),
        row(.mqttACL, "/mqtt/acl", .goAuth, .check, "acl"),
        row(.emqxAuthn, "/emqx/authn", .emqx, .authenticate, "emqx_authn", methods: [.post]),
        row(.emqxAuthz, "/emqx/authz", .emqx, .check, "emqx_authz", methods: [.post]),
        row(.rabbitUser, "/rabbitmq/user", .rabbitMQ, .authenticate, "rabbitmq_user", methods: [.get, .post]),
        row(.rabbitVhost, "/rabbitmq/vhost", .rabbitMQ, .none, "rabbitmq_vhost", methods: [.get, .post]),
        row(.rabbitResource, "/rabbitmq/resource", .rabbitMQ, .none, "rabbitmq_resource", methods: [.get, .post]),
        row(.rabbitTopic, "/rabbitmq/topic", .rabbitMQ, .check, "rabbitmq_topic", methods: [.get, .post]),
        row(.verneRegister, "/vernemq/auth_on_register", .verneMQ, .authenticate, "vernemq_register", methods: [.post]),
        row(.verneRegisterM5, "/vernemq/auth_on_register_m5", .verneMQ, .authenticate, "vernemq_register_m5", methods: [.post]),
        row(.vernePublish, "/vernemq/auth_on_publish", .verneMQ, .check, "vernemq_publish", methods: [.post], bodyLimit: publishBodyLimit),
        row(.vernePublishM5, "/vernemq/auth_on_publish_m5", .verneMQ, .check, "vernemq_publish_m5", methods: [.post], bodyLimit: publishBodyLimit),
        row(.verneSubscribe, "/vernemq/auth_on_subscribe", .verneMQ, .check, "vernemq_subscribe", methods: [.post]),
        row(.verneSubscribeM5, "/vernemq/auth_on_subscribe_m5", .verneMQ, .check, "vernemq_subscribe_m5", methods: [.post]),
    ]

    private static func row(
        _ id: ID, _ path: String, _ brokerProtocol: BrokerProtocol, _ decision: Decision, _ metricsLabel: String,
        methods: [HTTPRequest.Method] = [.post, .get, .put], bodyLimit: Int = defaultBodyLimit
    ) -> BrokerEndpoint {
        BrokerEndpoint(id: id, path: path, brokerProtocol: brokerProtocol, decision: decision, methods: methods, metricsLabel: metricsLabel, bodyLimit: bodyLimit)
    }

    /// The row whose path is a request URI's path (the part before any `?`), or nil.
    ///
    /// Compared as bytes, length first: this runs for every request the daemon gets, and
    /// String comparison works on characters.
    static func find(uri: String) -> BrokerEndpoint? {
        var uri = uri
        return uri.withUTF8 { bytes in
            let pathLength = bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.count
            for index in table.indices where table[index].pathLength == pathLength {
                let matches = table[index].path.utf8.withContiguousStorageIfAvailable { path in
                    memcmp(bytes.baseAddress!, path.baseAddress!, pathLength) == 0
                } ?? false
                if matches { return table[index] }
            }
            return nil
        }
    }

    /// The row for `id`.
    static func of(_ id: ID) -> BrokerEndpoint {
        table.first { $0.id == id }!
    }

    private var pathLength: Int { path.utf8.count }

    /// Whether the fast path may answer a request with this method.
    func accepts(_ method: HTTPRequest.Method) -> Bool {
        methods.contains(method)
    }
}
