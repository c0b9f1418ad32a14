import Foundation
import HTTPTypes
import MQTTAuthCore
import NIOCore

/// VerneMQ's webhooks (README "VerneMQ"): `auth_on_register`, `auth_on_publish` and
/// `auth_on_subscribe`, and their MQTT 5 `_m5` variants, each a POST of a JSON body.
///
/// - Allowed: 200 `{"result":"ok"}`. A register adds `modifiers.max_connection_lifetime`, the
///   seconds left on the credential, so that VerneMQ ends the session when it expires.
/// - Refused: 200 `{"result":{"error":"not_allowed"}}`.
/// - A subscribe whose filters are partly allowed: `ok` with every filter and its granted
///   QoS, a refused one at 128 (MQTT 3, top-level `topics`) or 135 (`_m5`,
///   `modifiers.topics`), so that one refused filter does not refuse the whole SUBSCRIBE.
/// - Unreadable: 400 `{"result":{"error":"invalid_request"},"message":…}`.
///
/// VerneMQ checks subscriptions and publishes, never each delivered message, so subscribes
/// are checked strictly. A login answer never has `Cache-Control`, so that VerneMQ caches no
/// login; topic answers have `max-age` when `vernemq.acl_cache_seconds` is set.
struct VerneMQAdapter {
    let decisions: BrokerDecisions
    let runtime: Runtime

    private struct Register: Decodable {
        var username: String?
        var password: String?
        var mountpoint: String?
        var client_id: String?
    }

    struct Publish: Decodable, Equatable {
        var username: String?
        var mountpoint: String?
        var client_id: String?
        var topic: String?

        private static let keys: [StaticString] = ["username", "mountpoint", "client_id", "topic"]

        /// The body through `FlatJSON`, for a publish check on every message: nil outside its
        /// subset (an MQTT 5 body's `properties` object, say) or where a field is not a string
        /// or null, which `JSONDecoder` then decides. `VerneMQFlatJSONTests` compares the two.
        static func fromFlatJSON(_ body: ByteBuffer) -> Publish? {
            var publish = Publish()
            let read = body.readableBytesView.withUnsafeBytes { bytes in
                FlatJSON.read(bytes, keys: keys) { key, value in
                    let text: String?
                    switch value {
                    case .string(let string): text = string
                    case .null: text = nil
                    case .integer, .bool: return false
                    }
                    switch key {
                    case 0: publish.username = text
                    case 1: publish.mountpoint = text
                    case 2: publish.client_id = text
                    default: publish.topic = text
                    }
                    return true
                }
            }
            return read ? publish : nil
        }

        /// The body through `JSONDecoder`, which `fromFlatJSON` must agree with.
        static func fromJSON(_ body: ByteBuffer) -> Publish? {
            try? JSONDecoder().decode(Publish.self, from: Data(body.readableBytesView))
        }
    }

    private struct Subscribe: Decodable {
        struct Filter: Decodable {
            var topic: String
            var qos: Int
        }

        var username: String?
        var mountpoint: String?
        var client_id: String?
        var topics: [Filter]?
    }

    func reply(_ endpoint: BrokerEndpoint.ID, _ call: BrokerEndpoints.Call) -> BrokerEndpoints.Reply {
        let settings = runtime.configuration.verneMQ
        do throws(APIError) {
            switch endpoint {
            case .verneRegister, .verneRegisterM5:
                let body = try Self.decode(Register.self, call.body)
                try Self.checkText(body.username, body.password, body.mountpoint, body.client_id)
                guard settings.accepts(mountpoint: body.mountpoint), let username = body.username, let password = body.password else {
                    return .ready(Self.notAllowed(cache: nil))
                }
                switch decisions.authenticate(username: username, password: password, in: runtime) as BrokerDecisions.Authentication {
                case .decided(let verdict): return .ready(register(verdict))
                case .lookUp(let lookUp): return .later { register(await lookUp.verdict()) }
                }
            case .vernePublish, .vernePublishM5:
                let body: Publish
                if let flat = Publish.fromFlatJSON(call.body) { body = flat } else { body = try Self.decode(Publish.self, call.body) }
                try Self.checkText(body.username, body.mountpoint, body.client_id, body.topic)
                guard let topic = body.topic else { throw APIError.invalidRequest("missing topic") }
                if let problem = TopicName.problem(topic) { throw APIError.invalidRequest("topic: \(problem)") }
                let allowed = settings.accepts(mountpoint: body.mountpoint)
                    && decisions.check(user: body.username, clientID: body.client_id, topic: topic, access: .publish, strictSubscribe: true, in: runtime)
                return .ready(allowed ? Self.ok(cache: settings.aclCache) : Self.notAllowed(cache: settings.aclCache))
            default:
                let body = try Self.decode(Subscribe.self, call.body)
                try Self.checkText(body.username, body.mountpoint, body.client_id)
                return .ready(try subscribe(body, settings, mqtt5: endpoint == .verneSubscribeM5))
            }
        } catch {
            return .ready(Self.refused(error))
        }
    }

    private func register(_ verdict: BrokerDecisions.Verdict) -> BrokerEndpoints.Answer {
        guard verdict.allowed else { return Self.notAllowed(cache: nil) }
        guard let expiresAt = verdict.expiresAt else { return Self.ok(cache: nil) }
        // Whole seconds, rounded down: the session must not outlive the credential.
        let seconds = Int(expiresAt.timeIntervalSince(decisions.now()).rounded(.down))
        guard seconds > 0 else { return Self.notAllowed(cache: nil) }
        return Self.answer(["result": .string("ok"), "modifiers": .object(["max_connection_lifetime": .integer(seconds)])], cache: nil)
    }

    private func subscribe(_ body: Subscribe, _ settings: VerneMQSettings, mqtt5: Bool) throws(APIError) -> BrokerEndpoints.Answer {
        guard let filters = body.topics, !filters.isEmpty else { throw APIError.invalidRequest("topics must be a non-empty array") }
        var granted: [(topic: String, qos: Int, allowed: Bool)] = []
        for filter in filters {
            try Self.checkText(filter.topic)
            guard (0...2).contains(filter.qos) else { throw APIError.invalidRequest("qos must be 0, 1 or 2") }
            if let problem = TopicFilter.subscriptionProblem(filter.topic) { throw APIError.invalidRequest("topic: \(problem)") }
            let allowed = settings.accepts(mountpoint: body.mountpoint)
                && decisions.check(user: body.username, clientID: body.client_id, topic: filter.topic, access: .subscribe, strictSubscribe: true, in: runtime)
            granted.append((filter.topic, filter.qos, allowed))
        }
        if granted.allSatisfy(\.allowed) { return Self.ok(cache: settings.aclCache) }
        if !granted.contains(where: \.allowed) { return Self.notAllowed(cache: settings.aclCache) }
        // MQTT 3's SUBACK failure code is 0x80; MQTT 5's "not authorized" reason code is 0x87.
        let refusedQoS = mqtt5 ? 135 : 128
        let topics = JSONValue.array(granted.map {
            .object(["topic": .string($0.topic), "qos": .integer($0.allowed ? $0.qos : refusedQoS)])
        })
        let answer: [String: JSONValue] = mqtt5
            ? ["result": .string("ok"), "modifiers": .object(["topics": topics])]
            : ["result": .string("ok"), "topics": topics]
        return Self.answer(answer, cache: settings.aclCache)
    }

    private static func decode<Body: Decodable>(_ type: Body.Type, _ bytes: ByteBuffer) throws(APIError) -> Body {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes.readableBytesView))
        } catch {
            throw APIError.invalidRequest("body is not a VerneMQ webhook's JSON object (strings where strings belong, topics an array)")
        }
    }

    private static func checkText(_ fields: String?...) throws(APIError) {
        for case let field? in fields where field.utf8.contains(0) {
            throw APIError.invalidRequest("a field holds a NUL character")
        }
    }

    // The two fixed answers, written once rather than encoded per request (BENCHMARKS.md).
    private static let okBody = ByteBuffer(staticString: #"{"result":"ok"}"#)
    private static let notAllowedBody = ByteBuffer(staticString: #"{"result":{"error":"not_allowed"}}"#)

    private static func ok(cache: Int?) -> BrokerEndpoints.Answer {
        .init(status: .ok, contentType: "application/json", body: okBody, cacheControl: cache.map { "max-age=\($0)" })
    }

    private static func notAllowed(cache: Int?) -> BrokerEndpoints.Answer {
        .init(status: .ok, contentType: "application/json", body: notAllowedBody, cacheControl: cache.map { "max-age=\($0)" })
    }

    static func refused(_ error: APIError) -> BrokerEndpoints.Answer {
        .init(status: error.status, contentType: "application/json",
              body: JSONResponse.encode(["result": .object(["error": .string(error.code)]), "message": JSONValue.string(error.message)]))
    }

    private static func answer(_ value: [String: JSONValue], cache: Int?) -> BrokerEndpoints.Answer {
        .init(status: .ok, contentType: "application/json", body: JSONResponse.encode(value), cacheControl: cache.map { "max-age=\($0)" })
    }
}
