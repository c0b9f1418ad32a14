import Foundation

/// What a provider's configuration says about its tokens.
///
/// HS256 tokens are checked only against `hs256Secret`; ES256 and RS256 tokens only against the
/// keys of `jwks` or, when `jwks` is nil, of the JWKS the verifier's ``JWKSSource`` fetches.
/// Call ``validate()`` when loading the configuration: the verifier itself never fails to start,
/// it refuses the tokens a broken setting cannot check.
package struct TokenVerifierConfiguration: Sendable {
    /// `<project_url>/auth/v1`, compared exactly with `iss`.
    package var issuer: String
    /// The legacy Supabase JWT secret: the configured string's UTF-8 bytes, at least 32 of them.
    package var hs256Secret: [UInt8]?
    /// A JWKS document read from `jwks_file`. When set it is the only source of ES256/RS256 keys
    /// and nothing is fetched, even if the verifier was given a ``JWKSSource``.
    package var jwks: Data?
    /// Accept tokens with `is_anonymous: true`.
    package var allowAnonymous: Bool
    /// Seconds of clock skew allowed on `exp` and `nbf`; a negative value counts as 0.
    package var leeway: Int

    /// The shortest HS256 secret accepted: the size of a SHA-256 output, as RFC 7518 §3.2 asks.
    package static let minimumSecretBytes = 32
    /// The largest leeway ``validate()`` accepts: docs/architecture.md §5 wants a small one.
    package static let maximumLeeway = 300

    package init(
        issuer: String,
        hs256Secret: [UInt8]? = nil,
        jwks: Data? = nil,
        allowAnonymous: Bool = false,
        leeway: Int = 30
    ) {
        self.issuer = issuer
        self.hs256Secret = hs256Secret
        self.jwks = jwks
        self.allowAnonymous = allowAnonymous
        self.leeway = leeway
    }

    /// Checks what can be checked before any token arrives. The messages name the settings
    /// (`jwt_secret`, `jwks_file`, `leeway`) and never contain a secret.
    package func validate() throws(TokenConfigurationError) {
        if issuer.isEmpty {
            throw TokenConfigurationError("the issuer (project_url) is empty")
        }
        if let hs256Secret, hs256Secret.count < Self.minimumSecretBytes {
            throw TokenConfigurationError("jwt_secret is shorter than \(Self.minimumSecretBytes) bytes")
        }
        if !(0...Self.maximumLeeway).contains(leeway) {
            throw TokenConfigurationError("leeway must be between 0 and \(Self.maximumLeeway) seconds")
        }
        if let jwks {
            let keys: [JWKSDocument.Key]
            do {
                keys = try JWKSDocument.usableKeys(in: jwks)
            } catch {
                throw TokenConfigurationError("jwks_file is not a JWKS document: expected {\"keys\": [...]}")
            }
            if keys.isEmpty {
                throw TokenConfigurationError(
                    "jwks_file has no usable signing key (ES256 on P-256 or RS256, with a kid)")
            }
        }
    }
}

/// A token setting that cannot work, found when the configuration is loaded. The server adds
/// the file, line and provider.
package struct TokenConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    package let description: String

    package init(_ description: String) {
        self.description = description
    }
}
