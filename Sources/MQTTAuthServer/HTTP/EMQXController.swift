import Foundation
import Hummingbird
import MQTTAuthCore
import MQTTAuthStore
import NIOCore

/// EMQX 5's HTTP authentication and authorization hooks, for brokers beyond one Mosquitto.
///
/// - `POST /emqx/authn` `{"username","password","clientid"}` → 200
///   `{"result":"allow"|"deny","is_superuser":bool}`.
/// - `POST /emqx/authz` `{"username","clientid","topic","action":"publish"|"subscribe"}` → 200
///   `{"result":"allow"|"deny"}`.
///
/// A request that cannot be read is 400 with `{"result":"deny","error":…}`.
struct EMQXController<Context: RemoteAddressRequestContext>: Sendable {
    let endpoints: BrokerEndpoints

    func register(on router: Router<Context>) {
        router.post("/emqx/authn") { request, context in try await answer(request, context, authn) }
        router.post("/emqx/authz") { request, context in try await answer(request, context, authz) }
    }

    private struct Body: Decodable {
        var username: String?
        var password: String?
        var clientid: String?
        var topic: String?
        var action: String?
    }

    private func answer(_ request: Request, _ context: Context, _ decide: (Body) async throws(APIError) -> [String: JSONValue]) async throws -> Response {
        var request = request
        do {
            let access = endpoints.runtime.current.configuration.broker.access
            if let refusal = access.refusal(remote: context.remoteAddress, authorization: request.headers[.authorization]) { throw refusal }
            let bytes = try await request.body(upTo: BrokerEndpoints.bodyLimit)
            let body: Body
            do {
                body = try JSONDecoder().decode(Body.self, from: Data(bytes.readableBytesView))
            } catch {
                throw APIError.invalidRequest("body must be a JSON object of strings")
            }
            for field in [body.username, body.password, body.clientid, body.topic, body.action] {
                if let field, field.utf8.contains(0) { throw APIError.invalidRequest("a field holds a NUL character") }
            }
            return JSONResponse.make(.ok, try await decide(body))
        } catch let error as APIError {
            let answer: [String: JSONValue] = ["result": .string("deny"), "error": .string(error.message)]
            return JSONResponse.make(error.status, answer)
        }
    }

    private func authn(_ body: Body) async throws(APIError) -> [String: JSONValue] {
        guard let username = body.username, let password = body.password else {
            throw APIError.invalidRequest("username and password are required")
        }
        let verdict = await endpoints.authenticate(username: username, password: password)
        let superuser = verdict.allowed && endpoints.runtime.current.acl.isSuperuser(username)
        var answer: [String: JSONValue] = ["result": .string(verdict.allowed ? "allow" : "deny"), "is_superuser": .bool(superuser)]
        guard verdict.allowed else { return answer }
        // EMQX 5.7+ keeps `client_attrs` (strings only: several values are joined by commas);
        // 5.8+ disconnects the client at `expire_at` (Unix seconds).
        if !verdict.attributes.values.isEmpty {
            answer["client_attrs"] = .object(verdict.attributes.values.mapValues { .string($0.joined(separator: ",")) })
        }
        if let expiresAt = verdict.expiresAt {
            answer["expire_at"] = .integer(Int(expiresAt.timeIntervalSince1970.rounded(.down)))
        }
        return answer
    }

    private func authz(_ body: Body) throws(APIError) -> [String: JSONValue] {
        guard let topic = body.topic else { throw APIError.invalidRequest("topic is required") }
        let access: Access
        switch body.action {
        case "publish": access = .publish
        case "subscribe": access = .subscribe
        default: throw APIError.invalidRequest("action must be publish or subscribe")
        }
        let username = body.username.flatMap { $0.isEmpty ? nil : $0 }
        let attributes = username.map { endpoints.store.attributes(of: $0) } ?? .none
        let allowed = endpoints.runtime.current.acl.isAllowed(
            user: username, clientID: body.clientid, topic: topic, access: access, attributes: attributes)
        return ["result": .string(allowed ? "allow" : "deny")]
    }
}

/// The few JSON values the EMQX answers hold.
enum JSONValue: Encodable {
    case string(String)
    case bool(Bool)
    case integer(Int)
    case object([String: JSONValue])

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
