import Foundation
import Hummingbird
import Logging
import MQTTAuthCore
import MQTTAuthStore

/// Refresh and revocation (README "Refresh and revocation", docs/architecture.md §4.9–4.11):
/// - `POST /v2/tokens/refresh`, with the API key whose exchange issued the credential;
/// - `DELETE /v2/tokens/{token_id}`, with that API key or an admin key;
/// - `POST /v2/users/{username}/terminate` (and CloudSignal's `/v2/utilities/users/…`), with an
///   admin key.
struct LifecycleController<Context: RequestContext>: Sendable {
    let runtime: RuntimeBox
    /// The refresh itself, and the store and clock it uses for revocation.
    let flows: CredentialFlows
    var store: any CredentialStore { flows.store }
    var now: @Sendable () -> Date { flows.now }
    /// The exchange's per-API-key limiter: a refresh counts as an exchange.
    let perAPIKey: RateLimiter
    let audit: AdminAudit

    static var bodyLimit: Int { 64 * 1024 }
    /// The longest `block_seconds`: a year.
    static var maxBlockSeconds: Int { 31_536_000 }

    func register(on router: Router<Context>) {
        router.post("/v2/tokens/refresh") { request, context in try await refresh(request, context) }
        router.delete("/v2/tokens/:token_id") { request, context in try await revoke(request, context) }
        for path in ["/v2/users/:username/terminate", "/v2/utilities/users/:username/terminate"] {
            router.post(RouterPath(path)) { request, context in try await terminate(request, context) }
        }
    }

    // MARK: Refresh

    private struct RefreshBody: Decodable {
        // swiftlint:disable identifier_name
        let token_id: String
        let current_token_password: String
        // swiftlint:enable identifier_name
    }

    private func refresh(_ request: Request, _ context: Context) async throws -> Response {
        var request = request
        let runtime = runtime.current
        guard case .apiKey(let keyName) = try Caller.of(request, runtime) else {
            throw APIError(status: .forbidden, code: "forbidden", message: "refresh takes the API key of the exchange, not an admin key")
        }
        if let limit = runtime.configuration.rateLimits.perAPIKey,
           let wait = perAPIKey.take(keyName, limit: limit, now: now().timeIntervalSinceReferenceDate) {
            throw APIError.rateLimited(retryAfter: wait, "too many exchanges for this API key")
        }
        let body: RefreshBody
        do {
            body = try JSONDecoder().decode(RefreshBody.self, from: Data(try await request.body(upTo: Self.bodyLimit).readableBytesView))
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.invalidRequest("body must be a JSON object with string fields token_id and current_token_password")
        }
        guard CredentialRules.isTokenID(body.token_id) else { throw APIError.invalidRequest("token_id is not a token id") }
        do throws(FlowError) {
            let issued = try await flows.refresh(
                CredentialFlows.Refresh(apiKey: keyName, tokenID: body.token_id, password: body.current_token_password),
                runtime: runtime, logger: context.logger
            )
            return CredentialAnswer.response(issued)
        } catch {
            throw APIError(error, now: now())
        }
    }

    // MARK: Revocation

    private struct Revoked: Encodable {
        // swiftlint:disable identifier_name
        let token_id: String
        let revoked: Bool
        // swiftlint:enable identifier_name
    }

    private func revoke(_ request: Request, _ context: Context) async throws -> Response {
        let runtime = runtime.current
        let caller = try Caller.of(request, runtime)
        guard let tokenID = context.parameters.get("token_id"), CredentialRules.isTokenID(tokenID) else {
            throw APIError.invalidRequest("the path does not hold a token id")
        }
        let issuer: String?
        switch caller {
        case .admin: issuer = nil
        case .apiKey(let name): issuer = name
        }
        let revoked: Bool
        do {
            revoked = try await store.revoke(tokenID: tokenID, issuedBy: issuer, now: now())
        } catch {
            context.logger.error("revoking a credential failed", metadata: ["error": "\(error)"])
            throw APIError(status: .serviceUnavailable, code: "unavailable", message: "the credential store is unavailable; nothing was revoked")
        }
        guard revoked else {
            throw APIError(status: .notFound, code: "token_not_found", message: "no live credential with this token_id was issued for this key")
        }
        audit.record(context.logger, caller, .revokeToken, target: tokenID)
        return JSONResponse.make(.ok, Revoked(token_id: tokenID, revoked: true))
    }

    private struct TerminateBody: Decodable {
        // swiftlint:disable:next identifier_name
        let block_seconds: Int?
    }

    private struct Terminated: Encodable {
        // swiftlint:disable identifier_name
        let username: String
        let revoked: Int
        let blocked_until: String?
        // swiftlint:enable identifier_name
    }

    private func terminate(_ request: Request, _ context: Context) async throws -> Response {
        var request = request
        let runtime = runtime.current
        let caller = Caller.admin(try Caller.admin(request, runtime))
        guard let username = context.parameters.get("username"), (try? CredentialRules.validateUsername(username)) != nil else {
            throw APIError.invalidRequest("the path does not hold a valid username")
        }
        let bytes = try await request.body(upTo: Self.bodyLimit)
        var blockSeconds: Int?
        if bytes.readableBytes > 0 {
            do {
                blockSeconds = try JSONDecoder().decode(TerminateBody.self, from: Data(bytes.readableBytesView)).block_seconds
            } catch {
                throw APIError.invalidRequest("body must be empty or a JSON object with an optional whole number block_seconds")
            }
        }
        if let blockSeconds, !(0...Self.maxBlockSeconds).contains(blockSeconds) {
            throw APIError.invalidRequest("block_seconds must be between 0 and \(Self.maxBlockSeconds)")
        }
        let started = now()
        let until = blockSeconds.flatMap { $0 > 0 ? started.addingTimeInterval(TimeInterval($0)) : nil }
        let revoked: Int?
        do {
            revoked = try await store.terminate(username: username, blockUntil: until, now: started)
        } catch {
            context.logger.error("terminating a user failed", metadata: ["error": "\(error)"])
            throw APIError(status: .serviceUnavailable, code: "unavailable", message: "the credential store is unavailable; nothing was revoked")
        }
        guard let revoked else {
            throw APIError(status: .notFound, code: "user_not_found", message: "no identity holds this username")
        }
        audit.record(context.logger, caller, .terminateUser, target: username)
        let blocked = store.blockedUntil(username, now: started)
        return JSONResponse.make(.ok, Terminated(username: username, revoked: revoked, blocked_until: blocked.map(ISO8601.string)))
    }

}

/// Who is calling an endpoint that takes either kind of key, by `Authorization: Bearer`.
enum Caller: Equatable {
    case apiKey(String)
    case admin(String)

    /// A publishable key is refused with 403: it may only exchange (README "API keys").
    static func of(_ request: Request, _ runtime: Runtime) throws(APIError) -> Caller {
        guard let digest = request.apiKeyDigest else { throw APIError.unauthorized }
        if let name = runtime.adminKeyName(forDigest: digest) { return .admin(name) }
        guard let key = runtime.apiKey(forDigest: digest) else { throw APIError.unauthorized }
        guard key.kind == .secret else {
            throw APIError(status: .forbidden, code: "forbidden", message: "a publishable API key may only exchange tokens")
        }
        return .apiKey(key.name)
    }

    /// The admin key's name; an exchange key gets 403 (README "Admin API").
    static func admin(_ request: Request, _ runtime: Runtime) throws(APIError) -> String {
        guard case .admin(let name) = try of(request, runtime) else {
            throw APIError(status: .forbidden, code: "forbidden", message: "this endpoint needs an admin key")
        }
        return name
    }
}

/// Every admin action (and every revocation by an API key): one structured log line and one
/// count in `mqtt_authd_admin_actions_total`.
struct AdminAudit: Sendable {
    let metrics: ServerMetrics

    /// Who (the key's name, never the key), what, on what.
    func record(_ logger: Logger, _ caller: Caller, _ action: ServerMetrics.AdminAction, target: String) {
        let (kind, name): (String, String) = switch caller {
        case .admin(let name): ("admin", name)
        case .apiKey(let name): ("api_key", name)
        }
        logger.notice("audit", metadata: [
            "audit.action": .string(action.rawValue), "audit.target": .string(target),
            "audit.key_kind": .string(kind), "audit.key_name": .string(name),
        ])
        metrics.record(adminAction: action)
    }
}

extension APIError {
    /// Every refused refresh: wrong password, unknown or revoked token_id, another key's credential.
    static let notRefreshable = APIError(status: .unauthorized, code: "invalid_token", message: "this credential cannot be refreshed")
}
