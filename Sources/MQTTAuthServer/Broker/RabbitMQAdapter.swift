import Foundation
import HTTPTypes
import MQTTAuthCore
import NIOCore

/// RabbitMQ's `rabbitmq_auth_backend_http`, as its MQTT plugin uses it (README "RabbitMQ"):
/// `/rabbitmq/user`, `/rabbitmq/vhost`, `/rabbitmq/resource` and `/rabbitmq/topic`, with
/// form-encoded parameters in a POST body or a GET query (`auth_http.http_method`).
///
/// Every answer's body is exactly `allow` or `deny`, without a newline: RabbitMQ reads
/// anything else on the vhost, resource and topic paths as a refusal, and a 4xx or 5xx as
/// one too. A request that cannot be read gets 400 with `deny`.
///
/// RabbitMQ checks a subscription's routing key, never each delivered message, so a
/// subscribe is checked strictly: no deny rule may overlap the filter.
struct RabbitMQAdapter {
    let decisions: BrokerDecisions
    let runtime: Runtime

    /// The parameters the checks read; RabbitMQ sends a few more (`ip`, `tags`, the rest of
    /// `variable_map`), which are not decoded.
    private enum Name: Int {
        case username, password, vhost, clientID, resource, name, permission, routingKey, variableClientID

        static let spelled: [StaticString] = [
            "username", "password", "vhost", "client_id", "resource", "name", "permission", "routing_key", "variable_map.client_id",
        ]
    }

    private struct Fields {
        let values: [String?]

        subscript(_ name: Name) -> String? { values[name.rawValue] }

        func required(_ name: Name) throws(APIError) -> String {
            guard let value = self[name] else { throw APIError.invalidRequest("missing \(Name.spelled[name.rawValue])") }
            return value
        }
    }

    func reply(_ endpoint: BrokerEndpoint.ID, _ call: BrokerEndpoints.Call) -> BrokerEndpoints.Reply {
        let fields: Fields
        do {
            // `quote_plus` encoding: `+` is a space everywhere, a literal plus is `%2B`.
            let values = try call.body.readableBytes > 0
                ? FormDecoding.values(of: Name.spelled, in: call.body.readableBytesView)
                : FormDecoding.values(of: Name.spelled, in: (call.query ?? "").utf8)
            if values.contains(where: { $0?.utf8.contains(0) ?? false }) {
                return .ready(Self.refused(.invalidRequest("a parameter holds a NUL character")))
            }
            fields = Fields(values: values)
        } catch {
            return .ready(Self.refused(.invalidRequest(error.description)))
        }
        do {
            let settings = runtime.configuration.rabbitMQ
            switch endpoint {
            case .rabbitUser:
                switch decisions.authenticate(username: try fields.required(.username), password: try fields.required(.password), in: runtime)
                    as BrokerDecisions.Authentication {
                case .decided(let verdict): return .ready(Self.answer(verdict.allowed))
                case .lookUp(let lookUp): return .later { Self.answer(await lookUp.verdict().allowed) }
                }
            case .rabbitVhost:
                _ = try fields.required(.username)
                return .ready(Self.answer(try fields.required(.vhost) == settings.vhost))
            case .rabbitResource:
                return .ready(Self.answer(try Self.resource(fields, settings)))
            default:
                return .ready(Self.answer(try topic(fields, settings)))
            }
        } catch {
            return .ready(Self.refused(error))
        }
    }

    /// The exchange MQTT publishes to, for reading and writing; the client's own subscription
    /// queues, for everything; nothing else, so that an MQTT credential opens no AMQP queue.
    private static func resource(_ fields: Fields, _ settings: RabbitMQSettings) throws(APIError) -> Bool {
        let vhost = try fields.required(.vhost)
        let kind = try fields.required(.resource)
        let name = try fields.required(.name)
        let permission = try Permission(fields)
        guard vhost == settings.vhost else { return false }
        switch kind {
        case "exchange":
            return name == settings.exchange && permission != .configure
        case "queue":
            guard let clientID = fields[.clientID], !clientID.isEmpty else { return false }
            return name == "mqtt-subscription-\(clientID)qos0" || name == "mqtt-subscription-\(clientID)qos1"
        case "topic":
            return false
        default:
            throw APIError.invalidRequest("resource must be exchange, queue or topic")
        }
    }

    /// The ACL check on a routing key: `write` publishes, `read` subscribes.
    private func topic(_ fields: Fields, _ settings: RabbitMQSettings) throws(APIError) -> Bool {
        let username = try fields.required(.username)
        let vhost = try fields.required(.vhost)
        let name = try fields.required(.name)
        let permission = try Permission(fields)
        let routingKey = try fields.required(.routingKey)
        guard try fields.required(.resource) == "topic" else { throw APIError.invalidRequest("resource must be topic") }
        let access: Access
        switch permission {
        case .write: access = .publish
        case .read: access = .subscribe
        case .configure: return false
        }
        let topic = Self.mqttTopic(routingKey: routingKey)
        if let problem = access == .publish ? TopicName.problem(topic) : TopicFilter.subscriptionProblem(topic) {
            throw APIError.invalidRequest("routing_key does not make a valid MQTT topic: \(problem)")
        }
        guard vhost == settings.vhost, name == settings.exchange else { return false }
        let clientID = fields[.variableClientID] ?? fields[.clientID]
        return decisions.check(user: username, clientID: clientID, topic: topic, access: access, strictSubscribe: true, in: runtime)
    }

    /// The MQTT topic or filter a routing key came from: the MQTT plugin turns `/` into `.`
    /// and `+` into `*`, and keeps `#`. A `.` inside an MQTT topic level cannot be told from a
    /// level separator here (README "RabbitMQ").
    static func mqttTopic(routingKey: String) -> String {
        var bytes = Array(routingKey.utf8)
        for index in bytes.indices {
            if bytes[index] == UInt8(ascii: ".") {
                bytes[index] = UInt8(ascii: "/")
            } else if bytes[index] == UInt8(ascii: "*") {
                bytes[index] = UInt8(ascii: "+")
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private enum Permission {
        case configure, write, read

        init(_ fields: Fields) throws(APIError) {
            switch try fields.required(.permission) {
            case "configure": self = .configure
            case "write": self = .write
            case "read": self = .read
            default: throw APIError.invalidRequest("permission must be configure, write or read")
            }
        }
    }

    private static func answer(_ allowed: Bool) -> BrokerEndpoints.Answer {
        .init(status: .ok, contentType: "text/plain", body: ByteBuffer(staticString: allowed ? "allow" : "deny"))
    }

    static func refused(_ error: APIError) -> BrokerEndpoints.Answer {
        .init(status: error.status, contentType: "text/plain", body: ByteBuffer(staticString: "deny"))
    }
}
