#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where a provider's ES256/RS256 keys come from: a JWKS file read once, or a JWKS fetched and
/// cached (``JWKSCache``).
protocol SigningKeys: Sendable {
    /// The key with this `kid` for this algorithm, or why there is none.
    func key(id: String, algorithm: SigningAlgorithm) async throws(TokenError) -> VerificationKey
}

/// The keys of a JWKS document given in the configuration (`jwks_file`). Nothing is fetched, so
/// an unknown `kid` is refused at once.
struct FixedSigningKeys: SigningKeys {
    private let keys: OnDemand<Result<KeySet, TokenError>>

    init(document: Data) {
        keys = OnDemand {
            do throws(TokenError) {
                return .success(try await KeySet.build(from: document))
            } catch {
                return .failure(error)
            }
        }
    }

    func key(id: String, algorithm: SigningAlgorithm) async throws(TokenError) -> VerificationKey {
        try await keys.value.get().resolve(id: id, algorithm: algorithm)
    }
}

extension KeySet {
    /// The key, or "algorithm not allowed" / "unknown key id".
    func resolve(id: String, algorithm: SigningAlgorithm) throws(TokenError) -> VerificationKey {
        switch lookup(id: id, algorithm: algorithm) {
        case .found(let key): return key
        case .otherAlgorithm: throw .keyAlgorithmMismatch
        case .unknown: throw .unknownKeyID
        }
    }
}
