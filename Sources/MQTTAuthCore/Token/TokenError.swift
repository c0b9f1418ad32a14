/// Why a token was refused, in the two codes of docs/architecture.md §6: `token_expired` when
/// only `exp` has passed, `invalid_token` for everything else.
///
/// Every message is a fixed string that starts with the name of the check that failed
/// ("signature", "issuer", "role", ...). No message ever holds the token, a claim value, a key or
/// a secret, so the HTTP layer may show it to the caller and a log may record it.
package struct TokenError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `error` value of the HTTP response.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        package let rawValue: String

        private init(_ rawValue: String) {
            self.rawValue = rawValue
        }

        package static let invalidToken = Code("invalid_token")
        package static let tokenExpired = Code("token_expired")

        package var description: String { rawValue }
    }

    package let code: Code
    /// The `message` value of the HTTP response: which check failed, and why.
    package let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    private static func invalid(_ message: String) -> TokenError { TokenError(.invalidToken, message) }

    /// `invalid_token: issuer: ...`
    package var description: String { "\(code.rawValue): \(message)" }

    // Shape and header.
    package static let format = invalid("format: not a JWT (three base64url parts with a JSON header and claims)")
    package static let criticalHeader = invalid(
        "format: the token needs header extensions (crit) that are not supported")
    package static let algorithmNotAllowed = invalid(
        "algorithm not allowed: this provider does not accept the token's alg")
    package static let hs256NotConfigured = invalid(
        "algorithm not allowed: HS256 needs the provider's JWT secret, which is not configured")
    package static let asymmetricNotConfigured = invalid(
        "algorithm not allowed: tokens signed with a public key need the provider's signing keys (JWKS), which are not configured")
    package static let keyAlgorithmMismatch = invalid(
        "algorithm not allowed: the key named by kid is not for this algorithm")

    // Keys.
    package static let missingKeyID = invalid("missing key id: tokens signed with a public key must name their signing key (kid)")
    package static let unknownKeyID = invalid("unknown key id: no signing key of this provider has the token's kid")
    package static let keysUnavailable = invalid(
        "signing keys unavailable: the provider's JWKS could not be fetched or read")
    package static let secretUnusable = invalid(
        "signing keys unavailable: the provider's JWT secret is shorter than 32 bytes")
    package static let signature = invalid("signature: the token's signature does not verify")

    // Claims, in the order they are checked.
    package static let role = invalid(
        "role: role is not 'authenticated' (the anon and service_role keys are not user access tokens)")
    package static let issuer = invalid("issuer: iss is not this provider's issuer")
    package static let audience = invalid("audience: aud does not hold this provider's audience")
    package static let authorizedParty = invalid("authorized party: azp is not one of this provider's authorized_parties")
    package static let missingSubject = invalid("missing sub: the token names no user")
    package static let subjectTooLong = invalid("sub: longer than 128 characters")
    package static let anonymousNotAllowed = invalid("anonymous users are not allowed by this provider")
    package static let missingExpiry = invalid("missing exp: the token has no expiry")
    package static let notYetValid = invalid("not yet valid (nbf): the token's nbf is in the future")
    package static let authTimeInFuture = invalid("auth_time: the sign-in time is in the future")
    package static let expired = TokenError(.tokenExpired, "token expired: exp has passed")
}
