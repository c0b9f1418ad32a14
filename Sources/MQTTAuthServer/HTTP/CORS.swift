import Hummingbird

/// CORS on `/v2/tokens/exchange` (README "From a browser", docs/architecture.md §6.6): an
/// answer to a request whose `Origin` is in `cors.allowed_origins` names that origin, and a
/// preflight from any other origin, or none, is 403 without CORS headers.
///
/// Hummingbird's `CORSMiddleware` does not fit: its origins are fixed when the router is built,
/// while these follow a reload, and it answers every preflight rather than refusing one.
enum CORS {
    static let allowedMethods = "POST, OPTIONS"
    static let allowedHeaders = "authorization, content-type"
    /// Seconds a browser may remember a preflight's answer.
    static let maxAge = "600"

    /// What every answer to a request from `origin`, an allowed one, carries.
    static func headers(origin: String) -> HTTPFields {
        [.accessControlAllowOrigin: origin, .vary: "Origin"]
    }

    /// The answer to an `OPTIONS` preflight. It carries no API key, so nothing else is checked.
    static func preflight(_ request: Request, _ settings: CORSSettings) throws(APIError) -> Response {
        guard let origin = settings.allowedOrigin(request.headers[.origin]) else {
            throw APIError.forbiddenOrigin("the request's Origin is missing or not one of cors.allowed_origins")
        }
        var fields = headers(origin: origin)
        fields[.accessControlAllowMethods] = allowedMethods
        fields[.accessControlAllowHeaders] = allowedHeaders
        fields[.accessControlMaxAge] = maxAge
        return Response(status: .noContent, headers: fields)
    }
}

extension APIError {
    /// 403 `forbidden_origin`: a preflight, or a publishable key's exchange, from an origin
    /// that `cors.allowed_origins` does not list.
    static func forbiddenOrigin(_ message: String) -> APIError {
        APIError(status: .forbidden, code: "forbidden_origin", message: message)
    }
}
