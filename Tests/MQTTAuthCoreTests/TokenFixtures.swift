import Crypto
import CryptoExtras
import Foundation
import MQTTAuthCore
import Synchronization
import Testing

// Tokens are built here byte by byte (ClaimJSON, base64url, swift-crypto signatures) rather than with
// jwt-kit, so that the verifier is checked against tokens it had no hand in making, including
// ones no well-behaved library would produce.

/// A ClaimJSON value for hand-made headers and claims.
enum ClaimJSON: Sendable, Encodable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    case string(String)
    case int(Int)
    case bool(Bool)
    case array([ClaimJSON])
    case object([String: ClaimJSON])
    case null

    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .int(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: ClaimJSON...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, ClaimJSON)...) {
        self = .object(Dictionary(uniqueKeysWithValues: elements))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }
}

extension Date {
    var jwtSeconds: ClaimJSON { .int(Int(timeIntervalSince1970)) }
}

enum TokenBase64URL {
    static func encode(_ bytes: some DataProtocol) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}

/// The provider every token test uses.
enum TestProvider {
    static let issuer = "https://abcdefghijklmnop.supabase.co/auth/v1"
    static let secretText = "super-secret-jwt-token-with-at-least-32-characters-long"
    static let secret = Array(secretText.utf8)
    static let subject = "0b8f1a6e-3c1d-4e5f-9a7b-2c3d4e5f6a7b"
    /// A fixed "now" for every test: tokens and the verifier's clock start here.
    static let now = Date(timeIntervalSince1970: 1_750_000_000)

    /// The claims of a Supabase user access token issued at `now`, valid for an hour.
    static func claims(at now: Date = TestProvider.now) -> [String: ClaimJSON] {
        [
            "iss": .string(issuer),
            "sub": .string(subject),
            "aud": "authenticated",
            "exp": now.addingTimeInterval(3600).jwtSeconds,
            "iat": now.jwtSeconds,
            "email": "john.doe@example.com",
            "phone": "",
            "app_metadata": ["provider": "email", "providers": ["email"]],
            "user_metadata": ["email_verified": true],
            "role": "authenticated",
            "aal": "aal1",
            "amr": [["method": "password", "timestamp": now.jwtSeconds]],
            "session_id": "5f0a2a53-7c5e-4c36-9a43-5d1e1a4f7b10",
            "is_anonymous": false,
        ]
    }

    static func configuration(
        secret: [UInt8]? = TestProvider.secret,
        jwks: Data? = nil,
        allowAnonymous: Bool = false,
        leeway: Int = 30
    ) -> TokenVerifierConfiguration {
        TokenVerifierConfiguration(
            issuer: issuer, hs256Secret: secret, jwks: jwks, allowAnonymous: allowAnonymous, leeway: leeway)
    }
}

/// Builds compact JWS tokens from raw headers and claims.
enum RawToken {
    static func signingInput(header: [String: ClaimJSON], claims: [String: ClaimJSON]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let header = try! encoder.encode(header)
        let claims = try! encoder.encode(claims)
        return TokenBase64URL.encode(header) + "." + TokenBase64URL.encode(claims)
    }

    static func hs256(
        _ claims: [String: ClaimJSON], key: some DataProtocol = TestProvider.secret, kid: String? = nil
    ) -> String {
        var header: [String: ClaimJSON] = ["alg": "HS256", "typ": "JWT"]
        if let kid { header["kid"] = .string(kid) }
        return hmac(header: header, claims: claims, key: key)
    }

    /// HMAC-SHA256 over whatever header is given: for tokens that lie about their algorithm.
    static func hmac(header: [String: ClaimJSON], claims: [String: ClaimJSON], key: some DataProtocol) -> String {
        let input = signingInput(header: header, claims: claims)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(key)))
        return input + "." + TokenBase64URL.encode(Data(mac))
    }

    static func unsigned(header: [String: ClaimJSON], claims: [String: ClaimJSON], signature: String = "") -> String {
        signingInput(header: header, claims: claims) + "." + signature
    }
}

/// Signing keys made for the tests, and the JWKS documents that publish them.
enum TokenKeys {
    static let ec = P256.Signing.PrivateKey()
    static let ecID = "ec-key-1"
    /// 2048-bit RSA generation is slow in a debug build: one key, shared by every test.
    static let rsa = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let rsaID = "rsa-key-1"
    /// A second pair, never published: signs tokens that claim a published kid.
    static let otherEC = P256.Signing.PrivateKey()
    static let otherRSA = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

    static func jwk(_ key: P256.Signing.PublicKey, kid: String, extra: [String: ClaimJSON] = [:]) -> [String: ClaimJSON]
    {
        let point = key.x963Representation  // 0x04 || x || y
        var jwk: [String: ClaimJSON] = [
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": .string(kid),
            "x": .string(TokenBase64URL.encode(point[1..<33])), "y": .string(TokenBase64URL.encode(point[33..<65])),
        ]
        jwk.merge(extra) { $1 }
        return jwk
    }

    static func jwk(_ key: _RSA.Signing.PublicKey, kid: String, extra: [String: ClaimJSON] = [:]) -> [String: ClaimJSON]
    {
        let primitives = try! key.getKeyPrimitives()
        var jwk: [String: ClaimJSON] = [
            "kty": "RSA", "alg": "RS256", "use": "sig", "kid": .string(kid),
            "n": .string(TokenBase64URL.encode(primitives.modulus)),
            "e": .string(TokenBase64URL.encode(primitives.publicExponent)),
        ]
        jwk.merge(extra) { $1 }
        return jwk
    }

    static func document(_ keys: [[String: ClaimJSON]]) -> Data {
        document(raw: keys.map(ClaimJSON.object))
    }

    /// A `{"keys": [...]}` document whose elements may be anything.
    static func document(raw keys: [ClaimJSON]) -> Data {
        try! JSONEncoder().encode(ClaimJSON.object(["keys": .array(keys)]))
    }

    /// The EC and the RSA key, as Supabase's `.well-known/jwks.json` would publish them.
    static var jwks: Data {
        document([jwk(ec.publicKey, kid: ecID), jwk(rsa.publicKey, kid: rsaID)])
    }

    static func es256(_ claims: [String: ClaimJSON], kid: String? = ecID, key: P256.Signing.PrivateKey = ec) -> String {
        var header: [String: ClaimJSON] = ["alg": "ES256", "typ": "JWT"]
        if let kid { header["kid"] = .string(kid) }
        let input = RawToken.signingInput(header: header, claims: claims)
        let signature = try! key.signature(for: Data(input.utf8)).rawRepresentation
        return input + "." + TokenBase64URL.encode(signature)
    }

    /// An Ed25519 key, as a Supabase project or an OIDC provider may publish for EdDSA.
    static let ed = Curve25519.Signing.PrivateKey()
    static let edID = "ed-key-1"

    static func jwk(_ key: Curve25519.Signing.PublicKey, kid: String) -> [String: ClaimJSON] {
        ["kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": .string(kid),
         "x": .string(TokenBase64URL.encode(key.rawRepresentation))]
    }

    /// Every test key: EC, RSA (published without `alg`, so for RS256 and PS256) and Ed25519.
    static var everyKey: Data {
        document([
            jwk(ec.publicKey, kid: ecID),
            jwk(rsa.publicKey, kid: rsaID).filter { $0.key != "alg" },
            jwk(ed.publicKey, kid: edID),
        ])
    }

    static func ps256(_ claims: [String: ClaimJSON], kid: String? = rsaID, key: _RSA.Signing.PrivateKey = rsa) -> String {
        var header: [String: ClaimJSON] = ["alg": "PS256", "typ": "JWT"]
        if let kid { header["kid"] = .string(kid) }
        let input = RawToken.signingInput(header: header, claims: claims)
        let signature = try! key.signature(for: Data(input.utf8), padding: .PSS).rawRepresentation
        return input + "." + TokenBase64URL.encode(signature)
    }

    static func eddsa(_ claims: [String: ClaimJSON], kid: String? = edID, key: Curve25519.Signing.PrivateKey = ed) -> String {
        var header: [String: ClaimJSON] = ["alg": "EdDSA", "typ": "JWT"]
        if let kid { header["kid"] = .string(kid) }
        let input = RawToken.signingInput(header: header, claims: claims)
        let signature = try! key.signature(for: Data(input.utf8))
        return input + "." + TokenBase64URL.encode(signature)
    }

    /// The RSA public key as PEM text: what an attacker hands HMAC as the "secret" when it hopes a
    /// verifier will take RS256's key for HS256's.
    static var rsaPublicPEM: [UInt8] { Array(rsa.publicKey.pemRepresentation.utf8) }

    static func rs256(_ claims: [String: ClaimJSON], kid: String? = rsaID, key: _RSA.Signing.PrivateKey = rsa) -> String
    {
        var header: [String: ClaimJSON] = ["alg": "RS256", "typ": "JWT"]
        if let kid { header["kid"] = .string(kid) }
        let input = RawToken.signingInput(header: header, claims: claims)
        let signature = try! key.signature(for: Data(input.utf8), padding: .insecurePKCS1v1_5).rawRepresentation
        return input + "." + TokenBase64URL.encode(signature)
    }
}

/// A clock the test moves by hand.
final class TokenTestClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = TestProvider.now) {
        current = Mutex(start)
    }

    var now: Date { current.withLock { $0 } }

    func advance(_ seconds: TimeInterval) {
        current.withLock { $0 += seconds }
    }

    var closure: @Sendable () -> Date { { self.now } }
}

/// An in-process `JWKSSource` that serves whatever document it holds, counts its fetches, can
/// fail on demand, and can hold fetches until released (to make requests overlap).
final class CountingJWKSSource: JWKSSource {
    struct Unreachable: Error, CustomStringConvertible {
        var description: String { "connection refused by jwks.example (\(TestProvider.secretText))" }
    }

    private struct State {
        var document: Data
        var fetches = 0
        var failing = false
        var holding = false
        var held: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    init(_ document: Data = TokenKeys.jwks) {
        state = Mutex(State(document: document))
    }

    var fetches: Int { state.withLock { $0.fetches } }

    func serve(_ document: Data) { state.withLock { $0.document = document } }

    func fail(_ failing: Bool) { state.withLock { $0.failing = failing } }

    func hold() { state.withLock { $0.holding = true } }

    func release() {
        let waiting = state.withLock { state in
            state.holding = false
            defer { state.held = [] }
            return state.held
        }
        for continuation in waiting { continuation.resume() }
    }

    func fetchJWKS() async throws -> Data {
        let mustWait = state.withLock { state in
            state.fetches += 1
            return state.holding
        }
        if mustWait {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    if state.holding { state.held.append(continuation) }
                    return !state.holding
                }
                if resumeNow { continuation.resume() }
            }
        }
        let (document, failing) = state.withLock { ($0.document, $0.failing) }
        if failing { throw Unreachable() }
        return document
    }
}

/// What a verification ends in, for tables.
enum VerifyOutcome: Equatable, CustomTestStringConvertible {
    case accepted
    case refused(TokenError)

    var testDescription: String {
        switch self {
        case .accepted: "accepted"
        case .refused(let error): error.description
        }
    }
}

extension TokenVerifier {
    func outcome(_ token: String) async -> VerifyOutcome {
        do {
            _ = try await verify(token)
            return .accepted
        } catch {
            return .refused(error)
        }
    }

    func error(_ token: String) async -> TokenError? {
        do {
            _ = try await verify(token)
            return nil
        } catch {
            return error
        }
    }
}
