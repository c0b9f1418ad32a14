import Foundation
import HTTPTypes
import MQTTAuthCore
import NIOCore

/// EMQX 5's HTTP authentication and authorization hooks.
///
/// - `POST /emqx/authn` `{"username","password","clientid"}` → 200
///   `{"result":"allow"|"deny","is_superuser":bool}`, and when allowed `expire_at` (Unix
///   seconds of the credential's expiry: EMQX 5.8+ disconnects the client then) and
///   `client_attrs` (EMQX 5.7+).
/// - `POST /emqx/authz` `{"username","clientid","topic","action":"publish"|"subscribe"}` → 200
///   `{"result":"allow"|"deny"}`. EMQX checks a subscription but not each delivered message,
///   so a subscribe is checked strictly (README "Subscriptions on other brokers").
///
/// A request that cannot be read is 400 with `{"result":"deny","error":…}`.
struct EMQXAdapter {
    let decisions: BrokerDecisions
    let runtime: Runtime

    private struct Body: Decodable {
        var username: String?
        var password: String?
        var clientid: String?
        var topic: String?
        var action: String?
    }

    func reply(_ endpoint: BrokerEndpoint.ID, _ call: BrokerEndpoints.Call) -> BrokerEndpoints.Reply {
        let body: Body
        do {
            body = try Self.decode(call.body)
        } catch {
            return .ready(Self.refused(error))
        }
        if endpoint == .emqxAuthn {
            guard let username = body.username, let password = body.password else {
                return .ready(Self.refused(.invalidRequest("username and password are required")))
            }
            switch decisions.authenticate(username: username, password: password, in: runtime) as BrokerDecisions.Authentication {
            case .decided(let verdict): return .ready(authn(verdict, username: username))
            case .lookUp(let lookUp): return .later { authn(await lookUp.verdict(), username: username) }
            }
        }
        do {
            return .ready(try authz(body))
        } catch {
            return .ready(Self.refused(error))
        }
    }

    private static func decode(_ bytes: ByteBuffer) throws(APIError) -> Body {
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: Data(bytes.readableBytesView))
        } catch {
            throw APIError.invalidRequest("body must be a JSON object of strings")
        }
        for field in [body.username, body.password, body.clientid, body.topic, body.action] {
            if let field, field.utf8.contains(0) { throw APIError.invalidRequest("a field holds a NUL character") }
        }
        return body
    }

    private func authn(_ verdict: BrokerDecisions.Verdict, username: String) -> BrokerEndpoints.Answer {
        let superuser = verdict.allowed && decisions.isSuperuser(username, in: runtime)
        var answer: [String: JSONValue] = ["result": .string(verdict.allowed ? "allow" : "deny"), "is_superuser": .bool(superuser)]
        if verdict.allowed {
            // Strings only: several values are joined by commas.
            if !verdict.attributes.values.isEmpty {
                answer["client_attrs"] = .object(verdict.attributes.values.mapValues { .string($0.joined(separator: ",")) })
            }
            if let expiresAt = verdict.expiresAt {
                answer["expire_at"] = .integer(Int(expiresAt.timeIntervalSince1970.rounded(.down)))
            }
        }
        return Self.json(.ok, answer)
    }

    private func authz(_ body: Body) throws(APIError) -> BrokerEndpoints.Answer {
        guard let topic = body.topic else { throw APIError.invalidRequest("topic is required") }
        let access: Access
        switch body.action {
        case "publish": access = .publish
        case "subscribe": access = .subscribe
        default: throw APIError.invalidRequest("action must be publish or subscribe")
        }
        let allowed = decisions.check(user: body.username, clientID: body.clientid, topic: topic, access: access, strictSubscribe: true, in: runtime)
        return .init(status: .ok, contentType: "application/json", body: allowed ? Self.allowBody : Self.denyBody)
    }

    // An authz answer is one of two fixed bodies, written once as VerneMQ's are.
    private static let allowBody = ByteBuffer(staticString: #"{"result":"allow"}"#)
    private static let denyBody = ByteBuffer(staticString: #"{"result":"deny"}"#)

    static func refused(_ error: APIError) -> BrokerEndpoints.Answer {
        json(error.status, ["result": .string("deny"), "error": .string(error.message)])
    }

    static func json(_ status: HTTPResponse.Status, _ value: [String: JSONValue]) -> BrokerEndpoints.Answer {
        .init(status: status, contentType: "application/json", body: JSONResponse.encode(value))
    }
}

/// The few JSON values the EMQX and VerneMQ answers hold.
enum JSONValue: Encodable {
    case string(String)
    case bool(Bool)
    case integer(Int)
    case object([String: JSONValue])
    case array([JSONValue])

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        }
    }
}
