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
/// are the verifier's job (`TokenVerifier`), so this type keeps no state. Failures are
/// logged at warning level with the URL and the reason (the verifier only reports "signing keys
/// unavailable" to the caller); a JWKS holds public keys only, so nothing secret is logged.
package struct JWKSHTTPSource: JWKSSource {
    /// Why a fetch failed.
    package struct FetchError: Error, Sendable, CustomStringConvertible {
        package let description: String
    }

    /// A JWKS is a few kilobytes; anything near this is not a JWKS.
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
            return try await Self.get(url, client: client, deadline: .now() + timeout, upTo: Self.maximumBodySize, what: "JWKS")
        } catch {
            logger?.warning("JWKS fetch failed", metadata: ["jwks.url": "\(url)", "error": "\(error)"])
            throw error
        }
    }

    /// One GET of `url` whose whole body arrives by `deadline` and within `limit` bytes, with a
    /// 2xx status. The client follows no redirects, so a 3xx is an error like any other status.
    static func get(_ url: String, client: HTTPClient, deadline: NIODeadline, upTo limit: Int, what: String) async throws -> Data {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await client.execute(request, deadline: deadline)
        guard (200..<300).contains(response.status.code) else {
            throw FetchError(description: "\(what) request answered HTTP \(response.status.code)")
        }
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw FetchError(description: "\(what) response is larger than \(limit) bytes")
        }
        return Data(body.readableBytesView)
    }
}

/// An `oidc` provider's keys through OpenID Connect discovery: each fetch reads
/// `<issuer>/.well-known/openid-configuration`, requires its `issuer` to equal the provider's
/// exactly (a document that names another issuer must not choose this provider's keys), and
/// fetches the JWKS at its `jwks_uri`, which must be https (plain http only to loopback). Both
/// requests share one `timeout`. The verifier's cache calls this as it would a JWKS URL, so the
/// discovery document is fetched and cached under the same bounds (docs/architecture.md §5).
package struct OIDCDiscoverySource: JWKSSource {
    /// A discovery document is a few kilobytes.
    package static let maximumDocumentSize = 256 << 10

    package let url: String
    private let issuer: String
    private let client: HTTPClient
    private let timeout: TimeAmount
    private let logger: Logger?

    package init(url: String, issuer: String, client: HTTPClient, timeout: Duration = .seconds(5), logger: Logger? = nil) {
        self.url = url
        self.issuer = issuer
        self.client = client
        self.timeout = TimeAmount(timeout)
        self.logger = logger
    }

    private struct Document: Decodable {
        let issuer: String
        let jwks_uri: String
    }

    package func fetchJWKS() async throws -> Data {
        do {
            let deadline = NIODeadline.now() + timeout
            let data = try await JWKSHTTPSource.get(url, client: client, deadline: deadline, upTo: Self.maximumDocumentSize, what: "discovery")
            let document: Document
            do {
                document = try JSONDecoder().decode(Document.self, from: data)
            } catch {
                throw JWKSHTTPSource.FetchError(description: "the discovery document is not JSON with string fields issuer and jwks_uri")
            }
            guard document.issuer == issuer else {
                throw JWKSHTTPSource.FetchError(description: "the discovery document's issuer is not the provider's issuer")
            }
            guard DaemonConfigReader.isTrustworthy(document.jwks_uri) else {
                throw JWKSHTTPSource.FetchError(description: "the discovery document's jwks_uri is not https")
            }
            return try await JWKSHTTPSource.get(document.jwks_uri, client: client, deadline: deadline, upTo: JWKSHTTPSource.maximumBodySize, what: "JWKS")
        } catch {
            logger?.warning("OIDC discovery or JWKS fetch failed", metadata: ["discovery.url": "\(url)", "error": "\(error)"])
            throw error
        }
    }
}
