import Foundation

/// Verifies Supabase access tokens for one provider, as docs/architecture.md §5 says.
///
/// A token is accepted only if, in this order:
/// 1. it is a JWT whose `alg` is HS256, ES256 or RS256 (never `none`) and that needs no `crit`
///    extension;
/// 2. its signature verifies under a key of this provider meant for that algorithm: HS256 only
///    under the JWT secret, whatever `kid` it names; ES256/RS256 only under the JWKS key its
///    `kid` names, which must be of that type (an HMAC key never verifies an RS/ES token and an
///    RSA or EC key never verifies an HS token);
/// 3. its claims pass: `role` is `authenticated`, `iss` equals the issuer, `aud` contains
///    `authenticated`, `sub` is not empty, `is_anonymous` is not true unless allowed, and
///    `nbf` (if any) and `exp` (required) hold on the injected clock with the leeway.
///
/// The signature is checked before any claim, so a forged token is reported as "signature"
/// whatever it claims; `exp` is checked last, so `token_expired` means a refreshed token would
/// pass. Where the JWKS comes from and how it is cached is in ``JWKSCache``.
///
/// A `final class`, not an actor: what it shares (the fetched keys) sits behind a `Mutex` held
/// only to read or swap a value, so an HS256 check never waits behind a JWKS fetch. jwt-kit's
/// `JWTKeyCollection` is an actor; each key has its own, so checks under different keys run in
/// parallel while checks under the same key take turns on that key's actor.
package final class SupabaseTokenVerifier: Sendable {
    let issuer: String
    let allowAnonymous: Bool
    let leeway: TimeInterval
    private let secret: Secret
    private let signingKeys: (any SigningKeys)?
    private let now: @Sendable () -> Date

    /// - Parameters:
    ///   - jwksSource: fetches the JWKS when `configuration.jwks` is nil; without either,
    ///     ES256/RS256 tokens are refused.
    ///   - now: the clock for `exp`, `nbf` and the JWKS cache; tests pass a fake one.
    package init(
        configuration: TokenVerifierConfiguration,
        jwksSource: (any JWKSSource)?,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        issuer = configuration.issuer
        allowAnonymous = configuration.allowAnonymous
        leeway = TimeInterval(max(0, configuration.leeway))
        self.now = now
        switch configuration.hs256Secret {
        case nil: secret = .none
        case let bytes? where bytes.count < TokenVerifierConfiguration.minimumSecretBytes: secret = .tooShort
        case let bytes?: secret = .key(OnDemand { await VerificationKey.hs256(secret: bytes) })
        }
        if let document = configuration.jwks {
            signingKeys = FixedSigningKeys(document: document)
        } else if let jwksSource {
            signingKeys = JWKSCache(source: jwksSource, now: now)
        } else {
            signingKeys = nil
        }
    }

    /// The user the token names, if every check passes.
    package func verify(_ token: String) async throws(TokenError) -> VerifiedToken {
        let header = try TokenHeader(parsing: token)
        let key = try await key(for: header)
        let claims = try await key.verify(token)
        return try check(claims, at: now())
    }

    private func key(for header: TokenHeader) async throws(TokenError) -> VerificationKey {
        switch header.algorithm {
        case .hs256:
            switch secret {
            case .none: throw .hs256NotConfigured
            case .tooShort: throw .secretUnusable
            case .key(let key): return await key.value
            }
        case .es256, .rs256:
            guard let signingKeys else { throw .asymmetricNotConfigured }
            guard let id = header.keyID else { throw .missingKeyID }
            return try await signingKeys.key(id: id, algorithm: header.algorithm)
        }
    }

    /// The HS256 key, if any. A secret too short to be safe is refused per token, not used.
    private enum Secret: Sendable {
        case none
        case tooShort
        case key(OnDemand<VerificationKey>)
    }
}
