#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import JWTKit

extension TokenVerifier {
    /// The claim checks of docs/architecture.md §5 for this provider's type, on claims whose
    /// signature has already been verified.
    ///
    /// Supabase's `role` comes first so that its `anon` and `service_role` keys (signed with the
    /// same secret, but with `iss: "supabase"` and no `sub`) are reported as what they are. `exp`
    /// comes last: `token_expired` is only ever the sole problem. With leeway `l`, a token is
    /// accepted while `now < exp + l`, once `now + l >= nbf`, and (Firebase) once
    /// `now + l >= auth_time`.
    func check(_ claims: TokenClaims, at now: Date) throws(TokenError) -> VerifiedToken {
        let kind = rules.kind
        if kind == .supabase, claims.role != "authenticated" { throw .role }
        guard claims.iss?.value == rules.issuer else { throw .issuer }
        if let audience = rules.audience, claims.aud?.value.contains(audience) != true { throw .audience }
        if let parties = rules.authorizedParties {
            guard let azp = claims.azp, parties.contains(azp) else { throw .authorizedParty }
        }
        guard let subject = claims.sub?.value, !subject.isEmpty else { throw .missingSubject }
        if kind == .firebase, subject.count > TokenVerifierConfiguration.firebaseMaximumSubject { throw .subjectTooLong }
        let isAnonymous = switch kind {
        case .supabase: claims.isAnonymous ?? false
        case .firebase: claims.signInProvider == "anonymous"
        case .auth0, .clerk, .oidc: false
        }
        if isAnonymous && !rules.allowAnonymous { throw .anonymousNotAllowed }
        guard let expiresAt = claims.exp?.value else { throw .missingExpiry }
        if let notBefore = claims.nbf?.value, now + leeway < notBefore { throw .notYetValid }
        if kind == .firebase, let signedIn = claims.authTime?.value, now + leeway < signedIn { throw .authTimeInFuture }
        guard now < expiresAt + leeway else { throw .expired }
        let email = claims.email.flatMap { $0.isEmpty ? nil : $0 }
        return VerifiedToken(
            subject: subject,
            email: email,
            emailVerified: email != nil && (!rules.emailNeedsVerification || claims.emailVerified),
            expiresAt: expiresAt,
            issuedAt: claims.iat?.value,
            isAnonymous: isAnonymous
        )
    }
}
