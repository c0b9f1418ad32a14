#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Fetches a provider's JWKS document (`<project_url>/auth/v1/.well-known/jwks.json`). The server
/// implements it over HTTP; the core library does no networking.
///
/// The verifier calls it on demand and caches what it returns (``TokenVerifier``), so an
/// implementation fetches every time it is called and caches nothing itself. A thrown error of
/// any kind makes the tokens that needed the keys fail closed ("signing keys unavailable").
package protocol JWKSSource: Sendable {
    func fetchJWKS() async throws -> Data
}
