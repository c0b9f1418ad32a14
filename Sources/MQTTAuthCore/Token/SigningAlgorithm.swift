/// The JWS algorithms mqtt-authd can verify, each tied to one kind of key: HS256 to a Supabase
/// JWT secret; RS256 and PS256 to RSA keys of a JWKS, ES256 to P-256 keys, EdDSA to Ed25519 keys.
/// Each provider type accepts a subset (docs/architecture.md §5); any other `alg` (`none`,
/// HS384, ES384, a different spelling) is refused before a key is chosen.
package enum SigningAlgorithm: String, Sendable, Hashable, CaseIterable, Comparable {
    case hs256 = "HS256"
    case rs256 = "RS256"
    case ps256 = "PS256"
    case es256 = "ES256"
    case eddsa = "EdDSA"

    /// Whether the key is a shared secret rather than a published public key.
    package var isSymmetric: Bool { self == .hs256 }

    package static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
