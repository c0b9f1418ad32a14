import Foundation
import JWTKit

/// Reads the keys of a JWKS document (RFC 7517) that can verify Supabase tokens.
///
/// A key is usable if it has a `kid`, is not marked for encryption (`use` absent or `sig`), and
/// is either an EC key on P-256 or an RSA key of at least 2048 bits whose `alg`, if present, is
/// ES256 or RS256 respectively. Other keys are skipped, not errors: a provider may publish keys
/// for other consumers, and an empty set is what a project still on its legacy secret serves.
/// Only public parameters are read.
enum JWKSDocument {
    struct Key: Sendable {
        enum Material: Sendable {
            case es256(ES256PublicKey)
            case rs256(Insecure.RSA.PublicKey)
        }

        let id: String
        let material: Material

        var algorithm: SigningAlgorithm {
            switch material {
            case .es256: .es256
            case .rs256: .rs256
            }
        }
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
        if jwk.keyType == .ecdsa, jwk.algorithm == nil || jwk.algorithm == .es256, jwk.curve?.rawValue == "P-256",
            let x = jwk.x, let y = jwk.y, let key = try? ES256PublicKey(parameters: (x, y))
        {
            return Key(id: id, material: .es256(key))
        }
        if jwk.keyType == .rsa, jwk.algorithm == nil || jwk.algorithm == .rs256,
            let modulus = jwk.modulus, let exponent = jwk.exponent,
            let key = try? Insecure.RSA.PublicKey(modulus: modulus, exponent: exponent)
        {
            return Key(id: id, material: .rs256(key))
        }
        return nil
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
