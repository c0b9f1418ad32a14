import JWTKit

/// The claims of a Supabase access token that the verifier reads (docs/architecture.md §5).
/// Every claim is optional here so that a missing one is reported by name; a claim of the wrong
/// JSON type makes the token "format". `user_metadata` is deliberately absent: users can edit it.
struct SupabaseClaims: JWTPayload {
    var iss: IssuerClaim?
    var aud: AudienceClaim?
    var sub: SubjectClaim?
    var exp: ExpirationClaim?
    var nbf: NotBeforeClaim?
    var iat: IssuedAtClaim?
    var role: String?
    var email: String?
    var isAnonymous: Bool?

    private enum CodingKeys: String, CodingKey {
        case iss, aud, sub, exp, nbf, iat, role, email
        case isAnonymous = "is_anonymous"
    }

    /// Nothing: jwt-kit calls this after the signature check, without the verifier's clock and
    /// configuration, so ``SupabaseTokenVerifier`` checks the claims itself.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
