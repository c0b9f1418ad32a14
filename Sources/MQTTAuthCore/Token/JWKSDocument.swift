#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import JWTKit

/// Reads the keys of a JWKS document (RFC 7517) that can verify tokens.
///
/// A key is usable if it has a `kid`, is not marked for encryption (`use` absent or `sig`), and
/// is one of: an EC key on P-256 (ES256), an RSA key (RS256 and PS256, or only the one its
/// `alg` names), or an OKP key on Ed25519 (EdDSA); an `alg` naming another algorithm makes it
/// unusable. Other keys are skipped, not errors: a provider may publish keys for other
/// consumers, and an empty set is what a Supabase project still on its legacy secret serves.
/// Only public parameters are read.
enum JWKSDocument {
    struct Key: Sendable {
        enum Material: Sendable {
            case ec(ES256PublicKey)
            case rsa(Insecure.RSA.PublicKey)
            case ed25519(EdDSA.PublicKey)
        }

        let id: String
        let material: Material
        /// What the key may verify: one algorithm, or RS256 and PS256 for an RSA key without `alg`.
        let algorithms: [SigningAlgorithm]
    }

    /// The document is not `{"keys": [...]}`.
    struct NotAJWKS: Error {}

    static func usableKeys(in document: Data) throws(NotAJWKS) -> [Key] {
        let entries: [Entry]
        do {
            entries = try JSONDecoder().decode(Envelope.self, from: document).keys
        } catch {
            throw NotAJWKS()
        }
        return entries.compactMap(usableKey)
    }

    private static func usableKey(_ entry: Entry) -> Key? {
        guard let jwk = entry.jwk, let id = jwk.keyIdentifier?.string, entry.use == nil || entry.use == "sig" else {
            return nil
        }
        switch jwk.keyType {
        case .ecdsa:
            guard jwk.algorithm == nil || jwk.algorithm == .es256, jwk.curve?.rawValue == "P-256",
                  let x = jwk.x, let y = jwk.y, let key = try? ES256PublicKey(parameters: (x, y)) else { return nil }
            return Key(id: id, material: .ec(key), algorithms: [.es256])
        case .rsa:
            let algorithms: [SigningAlgorithm]
            if jwk.algorithm == nil {
                algorithms = [.rs256, .ps256]
            } else if jwk.algorithm == .rs256 {
                algorithms = [.rs256]
            } else if jwk.algorithm == .ps256 {
                algorithms = [.ps256]
            } else {
                return nil
            }
            guard let modulus = jwk.modulus, let exponent = jwk.exponent,
                  let key = try? Insecure.RSA.PublicKey(modulus: modulus, exponent: exponent) else { return nil }
            return Key(id: id, material: .rsa(key), algorithms: algorithms)
        case .octetKeyPair:
            guard jwk.algorithm == nil || jwk.algorithm == .eddsa, jwk.curve?.rawValue == "Ed25519",
                  let x = jwk.x, let key = try? EdDSA.PublicKey(x: x, curve: .ed25519) else { return nil }
            return Key(id: id, material: .ed25519(key), algorithms: [.eddsa])
        default:
            return nil
        }
    }

    private struct Envelope: Decodable {
        let keys: [Entry]
    }

    /// One element of `keys`: jwt-kit's JWK when it decodes (it refuses key types and algorithms
    /// it does not know, which must not sink the whole document), and the `use` it does not read.
    private struct Entry: Decodable {
        let jwk: JWK?
        let use: String?

        private enum CodingKeys: String, CodingKey { case use }

        init(from decoder: any Decoder) throws {
            jwk = try? JWK(from: decoder)
            use = try? decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .use)
        }
    }
}
