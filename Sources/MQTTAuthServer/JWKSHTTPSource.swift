import AsyncHTTPClient
import Foundation
import Logging
import MQTTAuthCore
import NIOCore
import NIOHTTP1

/// Fetches a provider's JWKS with a GET over HTTP(S): the network half of ``JWKSSource``.
///
/// Each call makes one request, bounded by `timeout` from start to last body byte; a status
/// other than 2xx, or a body over ``maximumBodySize``, is an error. Caching and rate limiting
/// are the verifier's job (`SupabaseTokenVerifier`), so this type keeps no state. Failures are
/// logged at warning level with the URL and the reason (the verifier only reports "signing keys
/// unavailable" to the caller); a JWKS holds public keys only, so nothing secret is logged.
package struct JWKSHTTPSource: JWKSSource {
    /// Why a fetch failed.
    package struct FetchError: Error, Sendable, CustomStringConvertible {
        package let description: String
    }

    /// Supabase's JWKS is a few hundred bytes; anything near this is not a JWKS.
    package static let maximumBodySize = 1 << 20

    package let url: String
    private let client: HTTPClient
    private let timeout: TimeAmount
    private let logger: Logger?

    package init(url: String, client: HTTPClient, timeout: Duration = .seconds(5), logger: Logger? = nil) {
        self.url = url
        self.client = client
        self.timeout = TimeAmount(timeout)
        self.logger = logger
    }

    package init(url: URL, client: HTTPClient, timeout: Duration = .seconds(5), logger: Logger? = nil) {
        self.init(url: url.absoluteString, client: client, timeout: timeout, logger: logger)
    }

    package func fetchJWKS() async throws -> Data {
        do {
            return try await fetch()
        } catch {
            logger?.warning("JWKS fetch failed", metadata: ["jwks.url": "\(url)", "error": "\(error)"])
            throw error
        }
    }

    private func fetch() async throws -> Data {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        let deadline = NIODeadline.now() + timeout
        let response = try await client.execute(request, deadline: deadline)
        guard (200..<300).contains(response.status.code) else {
            throw FetchError(description: "JWKS request answered HTTP \(response.status.code)")
        }
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: Self.maximumBodySize)
        } catch is NIOTooManyBytesError {
            throw FetchError(description: "JWKS response is larger than \(Self.maximumBodySize) bytes")
        }
        return Data(body.readableBytesView)
    }
}
