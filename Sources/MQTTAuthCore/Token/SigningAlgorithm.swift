/// The JWS algorithms a Supabase provider accepts, each tied to one kind of key: HS256 to the JWT
/// secret, ES256 (P-256) and RS256 to JWKS keys. Any other `alg` (`none`, HS384, PS256, EdDSA,
/// a different spelling) is refused before a key is chosen.
enum SigningAlgorithm: String, Sendable, Hashable {
    case hs256 = "HS256"
    case es256 = "ES256"
    case rs256 = "RS256"
}
