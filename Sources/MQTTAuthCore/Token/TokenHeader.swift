import JWTKit

/// The protected header of a token, read before any key is chosen, with the algorithm already
/// limited to the three a provider may use.
struct TokenHeader {
    let algorithm: SigningAlgorithm
    let keyID: String?

    init(parsing token: String) throws(TokenError) {
        let header: JWTHeader
        do {
            header = try DefaultJWTParser().parse(Array(token.utf8), as: AnyClaims.self).header
        } catch {
            throw .format
        }
        guard let alg = header.alg else { throw .format }
        guard let algorithm = SigningAlgorithm(rawValue: alg) else { throw .algorithmNotAllowed }
        // RFC 7515 §4.1.11: extensions listed in `crit` must be understood; none are.
        guard header.fields["crit"] == nil else { throw .criticalHeader }
        self.algorithm = algorithm
        self.keyID = header.kid
    }
}

/// Any JSON object, read and discarded: lets jwt-kit's parser check the token's shape and hand
/// back its header without trusting a single claim.
private struct AnyClaims: JWTPayload {
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        _ = try decoder.container(keyedBy: AnyKey.self)
    }

    func encode(to encoder: any Encoder) throws {
        _ = encoder.container(keyedBy: AnyKey.self)
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
