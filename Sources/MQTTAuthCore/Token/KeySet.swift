#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The usable keys of one JWKS document, ready to verify, found by `kid` and algorithm.
struct KeySet: Sendable {
    enum Lookup {
        case found(VerificationKey)
        /// Some key has this `kid`, but none for the token's algorithm.
        case otherAlgorithm
        case unknown
    }

    private struct Slot: Hashable {
        let id: String
        let algorithm: SigningAlgorithm
    }

    private let keys: [Slot: VerificationKey]
    private let ids: Set<String>

    /// Reads `document` (see ``JWKSDocument``); a document that is not a JWKS at all is
    /// "signing keys unavailable". The first key published under a (`kid`, algorithm) wins.
    static func build(from document: Data) async throws(TokenError) -> KeySet {
        let usable: [JWKSDocument.Key]
        do {
            usable = try JWKSDocument.usableKeys(in: document)
        } catch {
            throw .keysUnavailable
        }
        var keys: [Slot: VerificationKey] = [:]
        for key in usable {
            for algorithm in key.algorithms where keys[Slot(id: key.id, algorithm: algorithm)] == nil {
                keys[Slot(id: key.id, algorithm: algorithm)] = await VerificationKey.make(key.material, algorithm: algorithm)
            }
        }
        return KeySet(keys: keys)
    }

    private init(keys: [Slot: VerificationKey]) {
        self.keys = keys
        self.ids = Set(keys.keys.map(\.id))
    }

    func lookup(id: String, algorithm: SigningAlgorithm) -> Lookup {
        if let key = keys[Slot(id: id, algorithm: algorithm)] { return .found(key) }
        return ids.contains(id) ? .otherAlgorithm : .unknown
    }
}
