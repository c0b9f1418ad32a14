import Crypto
import Foundation
import Hummingbird

extension Request {
    /// SHA-256 of the `Authorization: Bearer` key, or nil without one.
    var apiKeyDigest: [UInt8]? {
        guard let header = headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else { return nil }
        return Array(SHA256.hash(data: Data(parts[1].utf8)))
    }
}

extension Runtime {
    /// The configured API key `request` presents in `Authorization: Bearer`, with its name and
    /// kind, or nil for none or an unknown one (``apiKey(forDigest:)``). An endpoint that takes
    /// API keys and is not the exchange must refuse `.publishable` ones (README "API keys").
    func apiKey(for request: Request) -> (name: String, kind: APIKeyKind)? {
        request.apiKeyDigest.flatMap { apiKey(forDigest: $0) }
    }
}
