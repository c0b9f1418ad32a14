#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Verifies access tokens for one provider, as docs/architecture.md §5 says.
///
/// A token is accepted only if, in this order:
/// 1. it is a JWT whose `alg` is one the provider accepts (never `none`; HS256 only for
///    Supabase) and that needs no `crit` extension;
/// 2. its signature verifies under a key of this provider meant for that algorithm: HS256 only
///    under the JWT secret, whatever `kid` it names; the others only under the JWKS key its
///    `kid` names, which must be of that algorithm's type (an HMAC key never verifies an RSA,
///    EC or Ed25519 token and a public key never verifies an HS token);
/// 3. its claims pass the checks of the provider's type (`TokenVerifier+claims.swift`).
///
/// The signature is checked before any claim, so a forged token is reported as "signature"
/// whatever it claims; `exp` is checked last, so `token_expired` means a refreshed token would
/// pass. Where the JWKS comes from and how it is cached is in ``JWKSCache``.
///
/// A `final class`, not an actor: what it shares (the fetched keys) sits behind a `Mutex` held
/// only to read or swap a value, so an HS256 check never waits behind a JWKS fetch. jwt-kit's
/// `JWTKeyCollection` is an actor; each key has its own, so checks under different keys run in
/// parallel while checks under the same key take turns on that key's actor.
package final class TokenVerifier: Sendable {
    /// The provider's checks, without its secret or key document.
    let rules: TokenVerifierConfiguration
    let leeway: TimeInterval
    private let secret: Secret
    private let signingKeys: (any SigningKeys)?
    private let now: @Sendable () -> Date

    /// - Parameters:
    ///   - jwksSource: fetches the JWKS when `configuration.jwks` is nil; without either,
    ///     tokens signed with a public key are refused.
    ///   - now: the clock for `exp`, `nbf` and the JWKS cache; tests pass a fake one.
    package init(
        configuration: TokenVerifierConfiguration,
        jwksSource: (any JWKSSource)?,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        var rules = configuration
        rules.hs256Secret = nil
        rules.jwks = nil
        self.rules = rules
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
        guard rules.algorithms.contains(header.algorithm) else { throw .algorithmNotAllowed }
        if header.algorithm.isSymmetric {
            switch secret {
            case .none: throw .hs256NotConfigured
            case .tooShort: throw .secretUnusable
            case .key(let key): return await key.value
            }
        }
        guard let signingKeys else { throw .asymmetricNotConfigured }
        guard let id = header.keyID else { throw .missingKeyID }
        return try await signingKeys.key(id: id, algorithm: header.algorithm)
    }

    /// The HS256 key, if any. A secret too short to be safe is refused per token, not used.
    private enum Secret: Sendable {
        case none
        case tooShort
        case key(OnDemand<VerificationKey>)
    }
}
