import Foundation
import Hummingbird
import Logging
import MQTTAuthCore
import MQTTAuthStore

/// `POST /v2/tokens/exchange` (CloudSignal-compatible): an app backend, with its secret API
/// key, or a web page, with a publishable key from an allowed origin, trades a user's
/// identity-provider JWT for short-lived MQTT credentials (README "From a browser").
struct ExchangeController<Context: RequestContext & RemoteAddressRequestContext>: Sendable {
    let runtime: RuntimeBox
    let flows: CredentialFlows
    var now: @Sendable () -> Date { flows.now }
    /// Exchanges by API key name, and failures by client address (`rate_limits`).
    let perAPIKey = RateLimiter()
    let perClientIP = RateLimiter()

    /// Bodies larger than this are refused with 413.
    static var bodyLimit: Int { 64 * 1024 }

    func register(on router: Router<Context>) {
        router.post("/v2/tokens/exchange") { request, context in try await exchange(request, context) }
        router.on("/v2/tokens/exchange", method: .options) { request, _ in
            try CORS.preflight(request, runtime.current.configuration.cors)
        }
    }

    /// Adds the CORS headers to every answer, error or not, when the request's `Origin` is
    /// allowed (docs/architecture.md §6.6).
    private func exchange(_ request: Request, _ context: Context) async throws -> Response {
        let runtime = runtime.current
        let origin = runtime.configuration.cors.allowedOrigin(request.headers[.origin])
        let cors = origin.map { CORS.headers(origin: $0) } ?? [:]
        do {
            var response = try await exchange(request, context, runtime, origin: origin)
            response.headers.append(contentsOf: cors)
            return response
        } catch var error as APIError {
            error.headers.append(contentsOf: cors)
            throw error
        }
    }

    /// Refuses a client address that has failed too often, then counts each failure (any 4xx
    /// but a 429) against it.
    private func exchange(_ request: Request, _ context: Context, _ runtime: Runtime, origin: String?) async throws -> Response {
        let limits = runtime.configuration.rateLimits
        let client = context.remoteAddress?.ipAddress ?? "unknown"
        let seconds = now().timeIntervalSinceReferenceDate
        if let limit = limits.perClientIP, let wait = perClientIP.check(client, limit: limit, now: seconds) {
            throw APIError.rateLimited(retryAfter: wait, "too many failed exchanges from this address")
        }
        do {
            return try await issue(request, context, runtime, origin: origin)
        } catch let error as APIError where (400..<500).contains(error.status.code) && error.status != .tooManyRequests {
            if let limit = limits.perClientIP { _ = perClientIP.take(client, limit: limit, now: seconds) }
            throw error
        }
    }

    /// `origin` is the request's `Origin` when `cors.allowed_origins` lists it, else nil.
    private func issue(_ request: Request, _ context: Context, _ runtime: Runtime, origin: String?) async throws -> Response {
        var request = request
        guard let key = runtime.apiKey(for: request) else {
            throw APIError.unauthorized
        }
        let keyName = key.name
        // A publishable key is public: it stands only for the pages of the allowed origins.
        if key.kind == .publishable, origin == nil {
            throw APIError.forbiddenOrigin("a publishable API key is accepted only from an Origin listed in cors.allowed_origins")
        }
        if let limit = runtime.configuration.rateLimits.perAPIKey,
           let wait = perAPIKey.take(keyName, limit: limit, now: now().timeIntervalSinceReferenceDate) {
            throw APIError.rateLimited(retryAfter: wait, "too many exchanges for this API key")
        }
        let body = try ExchangeRequest.decode(try await request.body(upTo: Self.bodyLimit))
        var logger = context.logger
        logger[metadataKey: "api_key.kind"] = .string(key.kind.rawValue)
        do throws(FlowError) {
            let issued = try await flows.exchange(
                CredentialFlows.Exchange(apiKey: keyName, provider: body.provider, token: body.token, ttl: body.ttl),
                runtime: runtime, logger: logger
            )
            return CredentialAnswer.response(issued)
        } catch {
            throw APIError(error, now: now())
        }
    }
}

/// The body of an exchange request: `{"provider", "token", "ttl"?}`.
package struct ExchangeRequest: Decodable, Sendable {
    package let provider: String
    package let token: String
    package let ttl: Int?

    /// Decodes and checks a body; anything else is `invalid_request`.
    package static func decode(_ buffer: ByteBuffer) throws(APIError) -> ExchangeRequest {
        let body: ExchangeRequest
        do {
            body = try JSONDecoder().decode(ExchangeRequest.self, from: Data(buffer.readableBytesView))
        } catch {
            throw APIError.invalidRequest("body must be a JSON object with string fields provider and token, and an optional whole number ttl")
        }
        if let ttl = body.ttl, ttl <= 0 { throw APIError.invalidRequest("ttl must be a positive number of seconds") }
        if body.token.isEmpty { throw APIError.invalidRequest("token is empty") }
        if body.provider.isEmpty { throw APIError.invalidRequest("provider is empty") }
        return body
    }
}
