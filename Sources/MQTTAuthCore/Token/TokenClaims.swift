import JWTKit

/// The claims of an access token that the verifier reads (docs/architecture.md §5), for every
/// provider type. Every claim is optional here so that a missing one is reported by name.
///
/// The registered claims (`iss`, `aud`, `sub`, `exp`, `nbf`, `iat`, `auth_time`) and the ones
/// whose misreading could let a user in (`is_anonymous`, `email`, `azp`, `firebase`) must have
/// their JSON type or the token is "format". `role` and `email_verified` are read only when
/// they hold the expected type, and otherwise count as absent: absent is the safe reading of
/// both (`role` must then fail to be `authenticated`; an email not verified is never a
/// username), and IdPs outside Supabase put other things in a `role` claim.
/// `user_metadata` is deliberately absent: users can edit it.
struct TokenClaims: JWTPayload {
    var iss: IssuerClaim?
    var aud: AudienceClaim?
    var sub: SubjectClaim?
    var exp: ExpirationClaim?
    var nbf: NotBeforeClaim?
    var iat: IssuedAtClaim?
    /// OIDC's `auth_time`: when the user signed in.
    var authTime: IssuedAtClaim?
    var azp: String?
    var role: String?
    var email: String?
    /// True only for a JSON `true`.
    var emailVerified: Bool
    var isAnonymous: Bool?
    /// Firebase's `firebase.sign_in_provider` (`password`, `google.com`, `anonymous`, ...).
    var signInProvider: String?

    private enum CodingKeys: String, CodingKey {
        case iss, aud, sub, exp, nbf, iat, azp, role, email, firebase
        case authTime = "auth_time"
        case emailVerified = "email_verified"
        case isAnonymous = "is_anonymous"
    }

    private enum FirebaseKeys: String, CodingKey {
        case signInProvider = "sign_in_provider"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        iss = try container.decodeIfPresent(IssuerClaim.self, forKey: .iss)
        aud = try container.decodeIfPresent(AudienceClaim.self, forKey: .aud)
        sub = try container.decodeIfPresent(SubjectClaim.self, forKey: .sub)
        exp = try container.decodeIfPresent(ExpirationClaim.self, forKey: .exp)
        nbf = try container.decodeIfPresent(NotBeforeClaim.self, forKey: .nbf)
        iat = try container.decodeIfPresent(IssuedAtClaim.self, forKey: .iat)
        authTime = try container.decodeIfPresent(IssuedAtClaim.self, forKey: .authTime)
        azp = try container.decodeIfPresent(String.self, forKey: .azp)
        email = try container.decodeIfPresent(String.self, forKey: .email)
        isAnonymous = try container.decodeIfPresent(Bool.self, forKey: .isAnonymous)
        role = try? container.decodeIfPresent(String.self, forKey: .role)
        emailVerified = (try? container.decodeIfPresent(Bool.self, forKey: .emailVerified)) == true
        if container.contains(.firebase) {
            let firebase = try container.nestedContainer(keyedBy: FirebaseKeys.self, forKey: .firebase)
            signInProvider = try firebase.decodeIfPresent(String.self, forKey: .signInProvider)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(iss, forKey: .iss)
        try container.encodeIfPresent(sub, forKey: .sub)
        try container.encodeIfPresent(exp, forKey: .exp)
    }

    /// Nothing: jwt-kit calls this after the signature check, without the verifier's clock and
    /// configuration, so ``TokenVerifier`` checks the claims itself.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
