import Foundation
import MQTTAuthCore
import Testing

@Suite("Token configuration and error messages")
struct TokenConfigurationTests {
    @Test func validConfigurationsPass() throws {
        try TestProvider.configuration().validate()
        try TestProvider.configuration(secret: nil, jwks: TokenKeys.jwks).validate()
        try TestProvider.configuration(leeway: 0).validate()
    }

    @Test(arguments: [
        (TestProvider.configuration(secret: Array("too-short".utf8)), "jwt_secret is shorter than 32 bytes"),
        (TestProvider.configuration(leeway: -1), "leeway must be between 0 and 300 seconds"),
        (TestProvider.configuration(leeway: 86_400), "leeway must be between 0 and 300 seconds"),
        (
            TestProvider.configuration(jwks: Data("{\"kid\": 1}".utf8)),
            "jwks_file is not a JWKS document: expected {\"keys\": [...]}"
        ),
        (
            TestProvider.configuration(jwks: Data("{\"keys\": []}".utf8)),
            "jwks_file has no usable signing key for RS256, ES256, EdDSA (with a kid)"
        ),
        (TokenVerifierConfiguration(issuer: ""), "the issuer is empty"),
    ])
    func invalidConfigurationIsReported(_ configuration: TokenVerifierConfiguration, _ message: String) {
        #expect(throws: TokenConfigurationError(message)) { try configuration.validate() }
    }

    /// A secret too short for HS256 must not crash the daemon (jwt-kit asserts on it) nor be
    /// used: tokens are refused, and the error says why without the secret.
    @Test func tooShortSecretRefusesTokensWithoutCrashing() async {
        let secret = Array("sixteen-byte-key".utf8)
        let verifier = TokenVerifier(
            configuration: TestProvider.configuration(secret: secret), jwksSource: nil, now: { TestProvider.now })
        let error = await verifier.error(RawToken.hs256(TestProvider.claims(), key: secret))
        #expect(error == .secretUnusable)
        #expect(error?.description.contains("sixteen") == false)
    }

    /// Every refusal, whatever caused it, is described without the secret or the token.
    @Test func errorMessagesNeverContainTheSecretOrTheToken() async {
        let source = CountingJWKSSource()
        source.fail(true)
        let verifier = TokenVerifier(
            configuration: TestProvider.configuration(), jwksSource: source, now: { TestProvider.now })
        var tokens =
            TokenSignatureTests.garbage
            + TokenClaimsTests.cases.map { testCase in
                var claims = TestProvider.claims()
                testCase.edit(&claims, TestProvider.now)
                return RawToken.hs256(claims)
            }
        tokens += [
            RawToken.hs256(TestProvider.claims(), key: Array("another-secret-that-is-also-32-bytes-or-more".utf8)),
            RawToken.unsigned(header: ["alg": "none"], claims: TestProvider.claims()),
            RawToken.hmac(
                header: ["alg": .string(TestProvider.secretText)], claims: TestProvider.claims(),
                key: TestProvider.secret),
            RawToken.hs256(["iss": .string(TestProvider.secretText), "role": "authenticated"]),
            TokenKeys.es256(TestProvider.claims()),  // the source fails with the secret in its error text
        ]
        var refused = 0
        for token in tokens {
            guard let error = await verifier.error(token) else { continue }
            refused += 1
            for text in [error.description, error.message, String(describing: error), String(reflecting: error)] {
                #expect(!text.contains(TestProvider.secretText))
                #expect(token.count < 8 || !text.contains(token))
                #expect(!text.contains(TestProvider.subject))
            }
        }
        #expect(refused > 40)
    }

    @Test func configurationErrorsNeverContainTheSecret() {
        let secret = "0123456789abcdef0123456789abcd"  // 30 bytes
        do {
            try TestProvider.configuration(secret: Array(secret.utf8)).validate()
            Issue.record("a 30-byte secret was accepted")
        } catch {
            #expect(!error.description.contains(secret))
        }
    }

    @Test func devTokenErrorsNeverContainTheSecret() async {
        let secret = "short-but-secret"
        do {
            _ = try await DevToken.mint(
                secret: Array(secret.utf8), issuer: TestProvider.issuer, subject: "u", email: "", ttl: 60,
                now: TestProvider.now)
            Issue.record("a short secret was accepted")
        } catch {
            #expect(!String(describing: error).contains(secret))
        }
    }
}
