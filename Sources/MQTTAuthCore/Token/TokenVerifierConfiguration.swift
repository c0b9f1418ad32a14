#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a provider's configuration says about its tokens: the checks of docs/architecture.md §5
/// for one provider type, with the values they compare against.
///
/// HS256 tokens are checked only against `hs256Secret` (Supabase only); RS256, PS256, ES256 and
/// EdDSA tokens only against the keys of `jwks` or, when `jwks` is nil, of the JWKS the
/// verifier's ``JWKSSource`` fetches, and only for the algorithms in `algorithms`. Call
/// ``validate()`` when loading the configuration: the verifier itself never fails to start, it
/// refuses the tokens a broken setting cannot check.
package struct TokenVerifierConfiguration: Sendable {
    /// The provider types, each a set of its IdP's published token rules (README "Identity
    /// providers").
    package enum Kind: String, Sendable, Hashable, CaseIterable {
        /// `role` must be `authenticated`; `is_anonymous` only when allowed; HS256 or JWKS keys.
        case supabase
        /// `sub` at most 128 characters; `auth_time` not in the future; anonymous users are
        /// those whose `firebase.sign_in_provider` is `anonymous`.
        case firebase
        case auth0
        /// `azp` must be one of `authorizedParties` when that is set; no `aud`.
        case clerk
        case oidc
    }

    package var kind: Kind
    /// Compared exactly with `iss`.
    package var issuer: String
    /// A value `aud` must hold (a string equal to it, or an array containing it); nil when the
    /// provider's tokens carry no audience (Clerk).
    package var audience: String?
    /// The `alg` values accepted; every other is refused before a key is looked at.
    package var algorithms: Set<SigningAlgorithm>
    /// The legacy Supabase JWT secret: the configured string's UTF-8 bytes, at least 32 of them.
    package var hs256Secret: [UInt8]?
    /// A JWKS document read from `jwks_file`. When set it is the only source of public keys and
    /// nothing is fetched, even if the verifier was given a ``JWKSSource``.
    package var jwks: Data?
    /// Accept anonymous users (Supabase's `is_anonymous`, Firebase's anonymous sign-in).
    package var allowAnonymous: Bool
    /// Seconds of clock skew allowed on `exp`, `nbf` and `auth_time`; a negative value counts as 0.
    package var leeway: Int
    /// Clerk's `authorized_parties`: the `azp` values accepted; nil accepts any.
    package var authorizedParties: [String]?

    /// The shortest HS256 secret accepted: the size of a SHA-256 output, as RFC 7518 §3.2 asks.
    package static let minimumSecretBytes = 32
    /// The largest leeway ``validate()`` accepts: docs/architecture.md §5 wants a small one.
    package static let maximumLeeway = 300
    /// Firebase's limit on `sub`, in characters.
    package static let firebaseMaximumSubject = 128
    /// What Supabase signs with: the legacy secret, or the project's signing keys.
    package static let supabaseAlgorithms: Set<SigningAlgorithm> = [.hs256, .es256, .rs256, .eddsa]
    /// An `oidc` provider's `algorithms` when the configuration names none.
    package static let oidcDefaultAlgorithms: Set<SigningAlgorithm> = [.rs256, .es256]

    /// A Supabase provider whose `iss` is `issuer` (`<project_url>/auth/v1`).
    package init(
        issuer: String,
        hs256Secret: [UInt8]? = nil,
        jwks: Data? = nil,
        allowAnonymous: Bool = false,
        leeway: Int = 30
    ) {
        self.init(kind: .supabase, issuer: issuer, audience: "authenticated", algorithms: Self.supabaseAlgorithms,
                  hs256Secret: hs256Secret, jwks: jwks, allowAnonymous: allowAnonymous, leeway: leeway)
    }

    package init(
        kind: Kind,
        issuer: String,
        audience: String?,
        algorithms: Set<SigningAlgorithm>,
        hs256Secret: [UInt8]? = nil,
        jwks: Data? = nil,
        allowAnonymous: Bool = false,
        leeway: Int = 30,
        authorizedParties: [String]? = nil
    ) {
        self.kind = kind
        self.issuer = issuer
        self.audience = audience
        self.algorithms = algorithms
        self.hs256Secret = hs256Secret
        self.jwks = jwks
        self.allowAnonymous = allowAnonymous
        self.leeway = leeway
        self.authorizedParties = authorizedParties
    }

    /// Firebase Authentication: `iss` `https://securetoken.google.com/<project_id>`, `aud` the
    /// project id, RS256 only.
    package static func firebase(projectID: String, jwks: Data? = nil, allowAnonymous: Bool = false, leeway: Int = 30) -> Self {
        Self(kind: .firebase, issuer: "https://securetoken.google.com/" + projectID, audience: projectID,
             algorithms: [.rs256], jwks: jwks, allowAnonymous: allowAnonymous, leeway: leeway)
    }

    /// Auth0: `iss` `https://<domain>/` with its trailing slash, `aud` holding `audience` (the
    /// API identifier), RS256 or PS256.
    package static func auth0(domain: String, audience: String, jwks: Data? = nil, leeway: Int = 30) -> Self {
        Self(kind: .auth0, issuer: "https://" + domain + "/", audience: audience,
             algorithms: [.rs256, .ps256], jwks: jwks, leeway: leeway)
    }

    /// Clerk session tokens: `iss` the Frontend API URL, no `aud`, RS256; `azp` checked against
    /// `authorizedParties` when given.
    package static func clerk(frontendAPI: String, authorizedParties: [String]? = nil, jwks: Data? = nil, leeway: Int = 30) -> Self {
        Self(kind: .clerk, issuer: frontendAPI, audience: nil, algorithms: [.rs256], jwks: jwks,
             leeway: leeway, authorizedParties: authorizedParties)
    }

    /// Any OpenID Connect provider: `iss` and `aud` as configured, `algorithms` (never HS256).
    package static func oidc(
        issuer: String, audience: String, algorithms: Set<SigningAlgorithm> = oidcDefaultAlgorithms,
        jwks: Data? = nil, leeway: Int = 30
    ) -> Self {
        Self(kind: .oidc, issuer: issuer, audience: audience, algorithms: algorithms, jwks: jwks, leeway: leeway)
    }

    /// Whether `username: email` needs `email_verified: true` (every type but Supabase, whose
    /// access tokens carry no such claim: Supabase confirms addresses before it signs users in).
    package var emailNeedsVerification: Bool { kind != .supabase }

    /// Checks what can be checked before any token arrives. The messages name the settings
    /// (`jwt_secret`, `jwks_file`, `leeway`, `algorithms`) and never contain a secret.
    package func validate() throws(TokenConfigurationError) {
        if issuer.isEmpty {
            throw TokenConfigurationError("the issuer is empty")
        }
        if let audience, audience.isEmpty {
            throw TokenConfigurationError("the audience is empty")
        }
        if algorithms.isEmpty {
            throw TokenConfigurationError("algorithms is empty")
        }
        if kind != .supabase, algorithms.contains(where: \.isSymmetric) || hs256Secret != nil {
            throw TokenConfigurationError("HS256 is accepted only from a supabase provider's jwt_secret")
        }
        if let hs256Secret, hs256Secret.count < Self.minimumSecretBytes {
            throw TokenConfigurationError("jwt_secret is shorter than \(Self.minimumSecretBytes) bytes")
        }
        if !(0...Self.maximumLeeway).contains(leeway) {
            throw TokenConfigurationError("leeway must be between 0 and \(Self.maximumLeeway) seconds")
        }
        if let authorizedParties, authorizedParties.isEmpty || authorizedParties.contains(where: \.isEmpty) {
            throw TokenConfigurationError("authorized_parties must list at least one non-empty value")
        }
        if let jwks {
            let keys: [JWKSDocument.Key]
            do {
                keys = try JWKSDocument.usableKeys(in: jwks)
            } catch {
                throw TokenConfigurationError("jwks_file is not a JWKS document: expected {\"keys\": [...]}")
            }
            if !keys.contains(where: { !algorithms.isDisjoint(with: $0.algorithms) }) {
                let names = algorithms.filter { !$0.isSymmetric }.sorted().map(\.rawValue).joined(separator: ", ")
                throw TokenConfigurationError("jwks_file has no usable signing key for \(names) (with a kid)")
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
