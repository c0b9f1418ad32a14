import Foundation
import Hummingbird
import NIOCore

/// JSON response bodies, encoded with sorted keys so that they are stable byte for byte.
enum JSONResponse {
    static func make(_ status: HTTPResponse.Status, _ value: some Encodable, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: encode(value)))
    }

    static func encode(_ value: some Encodable) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain structs of strings and numbers cannot fail.
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return ByteBuffer(bytes: data)
    }
}

/// An error the API answers as `{"error": code, "message": text}`. Messages are written for
/// callers and never hold a token, password, key or secret.
package struct APIError: HTTPResponseError {
    package let status: HTTPResponse.Status
    package let code: String
    package let message: String
    package var headers: HTTPFields = [:]

    init(status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.make(status, ["error": code, "message": message], headers: headers)
    }

    static func invalidRequest(_ message: String) -> APIError {
        APIError(status: .badRequest, code: "invalid_request", message: message)
    }

    static let unauthorized = APIError(status: .unauthorized, code: "unauthorized", message: "missing or wrong API key")

    /// 429 with `Retry-After`, in whole seconds.
    static func rateLimited(retryAfter seconds: Int, _ message: String) -> APIError {
        APIError(status: .tooManyRequests, code: "rate_limited", message: message + "; retry after \(seconds) s", headers: [.retryAfter: String(seconds)])
    }

    static func payloadTooLarge(limit: Int) -> APIError {
        APIError(status: .contentTooLarge, code: "payload_too_large", message: "request body is over \(limit) bytes")
    }
}

extension Request {
    /// The body, or `payload_too_large` when it is over `limit` bytes.
    mutating func body(upTo limit: Int) async throws -> ByteBuffer {
        do {
            return try await collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.payloadTooLarge(limit: limit)
        }
    }
}
