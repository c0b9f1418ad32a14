#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import JWTKit

/// One key and the one algorithm it may verify, held as a jwt-kit key collection that contains
/// exactly that key and nothing else.
///
/// Keeping one key per collection is what rules out algorithm confusion: jwt-kit picks the
/// algorithm from the key it was given (an HMAC key only ever computes HMACs), and a collection
/// with a single key has no other key to fall back to when a `kid` does not match.
struct VerificationKey: Sendable {
    let algorithm: SigningAlgorithm
    private let collection: JWTKeyCollection

    private init(algorithm: SigningAlgorithm, collection: JWTKeyCollection) {
        self.algorithm = algorithm
        self.collection = collection
    }

    /// Precondition: `secret` has at least ``TokenVerifierConfiguration/minimumSecretBytes``
    /// (jwt-kit asserts it in debug builds).
    static func hs256(secret: [UInt8]) async -> VerificationKey {
        precondition(secret.count >= TokenVerifierConfiguration.minimumSecretBytes, "HS256 secret too short")
        let collection = JWTKeyCollection()
        await collection.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return VerificationKey(algorithm: .hs256, collection: collection)
    }

    /// `algorithm` must be one the material may verify (``JWKSDocument/Key/algorithms``).
    static func make(_ material: JWKSDocument.Key.Material, algorithm: SigningAlgorithm) async -> VerificationKey {
        let collection = JWTKeyCollection()
        switch (material, algorithm) {
        case (.ec(let publicKey), .es256): await collection.add(ecdsa: publicKey)
        case (.rsa(let publicKey), .rs256): await collection.add(rsa: publicKey, digestAlgorithm: .sha256)
        case (.rsa(let publicKey), .ps256): await collection.add(pss: publicKey, digestAlgorithm: .sha256)
        case (.ed25519(let publicKey), .eddsa): await collection.add(eddsa: publicKey)
        default: preconditionFailure("a \(algorithm.rawValue) key made from other material")
        }
        return VerificationKey(algorithm: algorithm, collection: collection)
    }

    /// Checks the signature, then decodes the claims. A bad signature is reported before any
    /// claim is looked at.
    func verify(_ token: String) async throws(TokenError) -> TokenClaims {
        do {
            return try await collection.verify(token, as: TokenClaims.self)
        } catch let error as JWTError where error.errorType == .malformedToken {
            throw .format
        } catch {
            throw .signature
        }
    }
}
