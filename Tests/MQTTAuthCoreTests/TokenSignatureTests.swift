import Crypto
import CryptoExtras
import Foundation
import MQTTAuthCore
import Testing

@Suite("Token signatures and algorithms")
struct TokenSignatureTests {
    let clock = TokenTestClock()

    /// Both kinds of key configured, as a project migrating to signing keys has them.
    func verifier(secret: [UInt8]? = TestProvider.secret, jwks: Data? = TokenKeys.jwks) -> TokenVerifier {
        TokenVerifier(
            configuration: TestProvider.configuration(secret: secret, jwks: jwks), jwksSource: nil, now: clock.closure)
    }

    enum Asymmetric: String, CaseIterable, Sendable {
        case es256 = "ES256"
        case rs256 = "RS256"

        func sign(_ claims: [String: ClaimJSON]) -> String {
            switch self {
            case .es256: TokenKeys.es256(claims)
            case .rs256: TokenKeys.rs256(claims)
            }
        }
    }

    @Test(arguments: Asymmetric.allCases)
    func validTokenSignedWithAJWKSKeyIsAccepted(_ algorithm: Asymmetric) async throws {
        let verified = try await verifier(secret: nil).verify(algorithm.sign(TestProvider.claims()))
        #expect(verified.subject == TestProvider.subject)
        #expect(verified.expiresAt == TestProvider.now.addingTimeInterval(3600))
    }

    @Test(arguments: Asymmetric.allCases)
    func claimsAreCheckedOnAsymmetricTokensToo(_ algorithm: Asymmetric) async {
        var claims = TestProvider.claims()
        claims["role"] = "service_role"
        #expect(await verifier().outcome(algorithm.sign(claims)) == .refused(.role))
        claims = TestProvider.claims()
        claims["exp"] = TestProvider.now.addingTimeInterval(-60).jwtSeconds
        #expect(await verifier().outcome(algorithm.sign(claims)) == .refused(.expired))
    }

    @Test func tokenFromDevTokenVerifies() async throws {
        let token = try await DevToken.mint(
            secret: TestProvider.secret, issuer: TestProvider.issuer, subject: TestProvider.subject,
            email: "dev@example.com", ttl: 600, now: TestProvider.now.addingTimeInterval(0.7))
        let verified = try await verifier(jwks: nil).verify(token)
        let expected = VerifiedToken(
            subject: TestProvider.subject, email: "dev@example.com",
            expiresAt: TestProvider.now.addingTimeInterval(600), issuedAt: TestProvider.now, isAnonymous: false)
        #expect(verified == expected)
    }

    @Test func anonymousDevTokenNeedsAllowAnonymous() async throws {
        let token = try await DevToken.mint(
            secret: TestProvider.secret, issuer: TestProvider.issuer, subject: TestProvider.subject,
            email: "", ttl: 600, now: TestProvider.now, anonymous: true)
        #expect(await verifier().outcome(token) == .refused(.anonymousNotAllowed))
        let allowing = TokenVerifier(
            configuration: TestProvider.configuration(allowAnonymous: true), jwksSource: nil, now: clock.closure)
        #expect(try await allowing.verify(token).isAnonymous)
    }

    @Test func devTokenRefusesAShortSecretOrTTL() async {
        let short = Array("short-secret".utf8)
        await #expect(throws: DevToken.MintError.self) {
            try await DevToken.mint(
                secret: short, issuer: TestProvider.issuer, subject: "u", email: "", ttl: 60, now: TestProvider.now)
        }
        await #expect(throws: DevToken.MintError.self) {
            try await DevToken.mint(
                secret: TestProvider.secret, issuer: TestProvider.issuer, subject: "u", email: "", ttl: 0,
                now: TestProvider.now)
        }
    }

    @Test func hs256SignedWithAnotherSecretIsRefused() async {
        let token = RawToken.hs256(
            TestProvider.claims(), key: Array("another-secret-that-is-also-32-bytes-or-more".utf8))
        #expect(await verifier().outcome(token) == .refused(.signature))
    }

    @Test(arguments: Asymmetric.allCases)
    func tokenSignedByAnUnpublishedKeyUnderAPublishedKidIsRefused(_ algorithm: Asymmetric) async {
        let token =
            switch algorithm {
            case .es256: TokenKeys.es256(TestProvider.claims(), key: TokenKeys.otherEC)
            case .rs256: TokenKeys.rs256(TestProvider.claims(), key: TokenKeys.otherRSA)
            }
        #expect(await verifier().outcome(token) == .refused(.signature))
    }

    /// The payload is swapped for one naming another user; header and signature are kept.
    @Test(arguments: ["HS256", "ES256", "RS256"])
    func tamperedPayloadIsRefused(_ algorithm: String) async {
        let original =
            switch algorithm {
            case "HS256": RawToken.hs256(TestProvider.claims())
            case "ES256": TokenKeys.es256(TestProvider.claims())
            default: TokenKeys.rs256(TestProvider.claims())
            }
        var claims = TestProvider.claims()
        claims["sub"] = "ffffffff-ffff-4fff-bfff-ffffffffffff"
        let forged = RawToken.signingInput(header: ["alg": "X"], claims: claims).split(separator: ".")[1]
        var parts = original.split(separator: ".", omittingEmptySubsequences: false)
        parts[1] = forged
        let tampered = parts.joined(separator: ".")
        #expect(tampered != original)
        #expect(await verifier().outcome(tampered) == .refused(.signature))
    }

    @Test func tamperedSignatureIsRefused() async {
        let token = RawToken.hs256(TestProvider.claims())
        var signature = Array(TokenBase64URL.decode(String(token.split(separator: ".")[2]))!)
        signature[0] ^= 0x01
        let parts = token.split(separator: ".")
        let tampered = parts[0] + "." + parts[1] + "." + TokenBase64URL.encode(signature)
        #expect(await verifier().outcome(String(tampered)) == .refused(.signature))
    }

    // MARK: Algorithms

    /// Headers naming an algorithm a Supabase provider does not use, each "signed" as well as it
    /// can be (PS256 is known, but not Supabase's).
    @Test(arguments: [
        "none", "None", "NONE", "HS384", "HS512", "PS256", "ES384", "ES512", "RS384", "RS512", "EDDSA", "Ed25519", "hs256", "",
    ])
    func algorithmTheProviderDoesNotUseIsRefused(_ alg: String) async {
        let unsigned = RawToken.unsigned(header: ["alg": .string(alg), "typ": "JWT"], claims: TestProvider.claims())
        #expect(await verifier().outcome(unsigned) == .refused(.algorithmNotAllowed))
        let macked = RawToken.hmac(
            header: ["alg": .string(alg), "kid": .string(TokenKeys.rsaID)], claims: TestProvider.claims(),
            key: TestProvider.secret)
        #expect(await verifier().outcome(macked) == .refused(.algorithmNotAllowed))
    }

    @Test func algNoneCarryingAPublishedKidIsRefused() async {
        let token = RawToken.unsigned(
            header: ["alg": "none", "kid": .string(TokenKeys.ecID)], claims: TestProvider.claims())
        #expect(await verifier().outcome(token) == .refused(.algorithmNotAllowed))
    }

    @Test func missingAlgIsAFormatError() async {
        let token = RawToken.hmac(header: ["typ": "JWT"], claims: TestProvider.claims(), key: TestProvider.secret)
        #expect(await verifier().outcome(token) == .refused(.format))
    }

    /// The classic confusion attack: HS256, keyed with the bytes of the provider's public RSA
    /// (or EC) key, which are public, and naming that key's kid. A verifier that took the key
    /// from `kid` and the algorithm from `alg` would accept it.
    @Test(arguments: ["rsa-pem", "rsa-der", "rsa-pem-no-newline", "ec-pem", "ec-der", "ec-x963"])
    func hs256KeyedWithAPublicKeysBytesIsRefused(_ encoding: String) async {
        let (key, kid): (Data, String) =
            switch encoding {
            case "rsa-pem": (Data(TokenKeys.rsa.publicKey.pemRepresentation.utf8), TokenKeys.rsaID)
            case "rsa-pem-no-newline":
                (
                    Data(TokenKeys.rsa.publicKey.pemRepresentation.trimmingCharacters(in: .newlines).utf8),
                    TokenKeys.rsaID
                )
            case "rsa-der": (TokenKeys.rsa.publicKey.derRepresentation, TokenKeys.rsaID)
            case "ec-pem": (Data(TokenKeys.ec.publicKey.pemRepresentation.utf8), TokenKeys.ecID)
            case "ec-der": (TokenKeys.ec.publicKey.derRepresentation, TokenKeys.ecID)
            default: (TokenKeys.ec.publicKey.x963Representation, TokenKeys.ecID)
            }
        let token = RawToken.hs256(TestProvider.claims(), key: key, kid: kid)
        // With the JWT secret configured, HS256 is checked against the secret only.
        #expect(await verifier().outcome(token) == .refused(.signature))
        // Without it, HS256 is not an algorithm this provider accepts at all.
        #expect(await verifier(secret: nil).outcome(token) == .refused(.hs256NotConfigured))
    }

    /// An asymmetric algorithm with a kid whose key is of the other type: never "adapted".
    @Test func asymmetricTokenNamingAKeyOfTheOtherTypeIsRefused() async {
        let rsNamingEC = TokenKeys.rs256(TestProvider.claims(), kid: TokenKeys.ecID)
        let esNamingRSA = TokenKeys.es256(TestProvider.claims(), kid: TokenKeys.rsaID)
        #expect(await verifier().outcome(rsNamingEC) == .refused(.keyAlgorithmMismatch))
        #expect(await verifier().outcome(esNamingRSA) == .refused(.keyAlgorithmMismatch))
    }

    /// An RS256 token MACed with the secret and naming the secret's... nothing: asymmetric
    /// algorithms never reach the HMAC key.
    @Test func asymmetricAlgMACedWithTheSecretIsRefused() async {
        let token = RawToken.hmac(
            header: ["alg": "RS256", "kid": .string(TokenKeys.rsaID)], claims: TestProvider.claims(),
            key: TestProvider.secret)
        #expect(await verifier().outcome(token) == .refused(.signature))
        let noKid = RawToken.hmac(header: ["alg": "ES256"], claims: TestProvider.claims(), key: TestProvider.secret)
        #expect(await verifier().outcome(noKid) == .refused(.missingKeyID))
        #expect(await verifier(jwks: nil).outcome(noKid) == .refused(.asymmetricNotConfigured))
    }

    @Test(arguments: Asymmetric.allCases)
    func asymmetricTokenWithoutKidIsRefused(_ algorithm: Asymmetric) async {
        let token =
            switch algorithm {
            case .es256: TokenKeys.es256(TestProvider.claims(), kid: nil)
            case .rs256: TokenKeys.rs256(TestProvider.claims(), kid: nil)
            }
        #expect(await verifier().outcome(token) == .refused(.missingKeyID))
    }

    @Test func asymmetricTokenWithoutAnyJWKSIsRefused() async {
        let asymmetric = TokenKeys.es256(TestProvider.claims())
        #expect(await verifier(jwks: nil).outcome(asymmetric) == .refused(.asymmetricNotConfigured))
        let symmetric = RawToken.hs256(TestProvider.claims())
        #expect(await verifier(secret: nil, jwks: nil).outcome(symmetric) == .refused(.hs256NotConfigured))
    }

    @Test func criticalHeaderExtensionsAreRefused() async {
        let token = RawToken.hmac(
            header: ["alg": "HS256", "crit": ["exp"], "exp": 1], claims: TestProvider.claims(), key: TestProvider.secret
        )
        #expect(await verifier().outcome(token) == .refused(.criticalHeader))
    }

    // MARK: Garbage

    static let garbage: [String] = [
        "", " ", "garbage", "not.a.jwt", "a.b", "a.b.c.d", "..", "...",
        "eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOiJIUzI1NiJ9.", "eyJhbGciOiJIUzI1NiJ9..",
        "Bearer " + RawToken.hs256(TestProvider.claims()),
        RawToken.hs256(TestProvider.claims()) + " ",
        RawToken.hs256(TestProvider.claims()) + ".",
        // a header that is not ClaimJSON, and one that is ClaimJSON but not an object
        TokenBase64URL.encode(Data("alg=HS256".utf8)) + "." + TokenBase64URL.encode(Data("{}".utf8)) + ".c2ln",
        TokenBase64URL.encode(Data("[\"HS256\"]".utf8)) + "." + TokenBase64URL.encode(Data("{}".utf8)) + ".c2ln",
        // claims that are not an object
        RawToken.hmac(header: ["alg": "HS256"], claims: [:], key: TestProvider.secret).replacingOccurrences(
            of: "." + TokenBase64URL.encode(Data("{}".utf8)) + ".",
            with: "." + TokenBase64URL.encode(Data("[1,2]".utf8)) + "."),
        // a signature that is not base64url
        RawToken.signingInput(header: ["alg": "HS256"], claims: TestProvider.claims()) + ".!!!!",
        String(repeating: "A", count: 10_000),
        "ey\u{0}J.ey.J",
        "👀.👀.👀",
    ]

    @Test(arguments: garbage)
    func garbageIsAFormatError(_ token: String) async {
        #expect(await verifier().outcome(token) == .refused(.format))
    }
}
