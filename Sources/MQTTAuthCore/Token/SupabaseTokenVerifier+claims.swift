import Foundation
import JWTKit

extension SupabaseTokenVerifier {
    /// The claim checks of docs/architecture.md §5, on claims whose signature has already been
    /// verified.
    ///
    /// `role` comes first so that Supabase's `anon` and `service_role` keys (signed with the same
    /// secret, but with `iss: "supabase"` and no `sub`) are reported as what they are. `exp`
    /// comes last: `token_expired` is only ever the sole problem. With leeway `l`, a token is
    /// accepted while `now < exp + l` and once `now + l >= nbf`.
    func check(_ claims: SupabaseClaims, at now: Date) throws(TokenError) -> VerifiedToken {
        guard claims.role == "authenticated" else { throw .role }
        guard claims.iss?.value == issuer else { throw .issuer }
        guard claims.aud?.value.contains("authenticated") == true else { throw .audience }
        guard let subject = claims.sub?.value, !subject.isEmpty else { throw .missingSubject }
        let isAnonymous = claims.isAnonymous ?? false
        if isAnonymous && !allowAnonymous { throw .anonymousNotAllowed }
        guard let expiresAt = claims.exp?.value else { throw .missingExpiry }
        if let notBefore = claims.nbf?.value, now + leeway < notBefore { throw .notYetValid }
        guard now < expiresAt + leeway else { throw .expired }
        return VerifiedToken(
            subject: subject,
            email: claims.email.flatMap { $0.isEmpty ? nil : $0 },
            expiresAt: expiresAt,
            issuedAt: claims.iat?.value,
            isAnonymous: isAnonymous
        )
    }
}
