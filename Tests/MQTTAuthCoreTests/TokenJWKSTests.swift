import Crypto
import CryptoExtras
import Foundation
import MQTTAuthCore
import Testing

@Suite("Token signing keys: JWKS documents, fetching and caching")
struct TokenJWKSTests {
    let clock = TokenTestClock()

    func verifier(source: CountingJWKSSource, jwks: Data? = nil) -> TokenVerifier {
        TokenVerifier(
            configuration: TestProvider.configuration(secret: TestProvider.secret, jwks: jwks), jwksSource: source,
            now: clock.closure)
    }

    /// Tokens for the current clock, so that moving it does not expire them.
    func es256(kid: String = TokenKeys.ecID, key: P256.Signing.PrivateKey = TokenKeys.ec) -> String {
        TokenKeys.es256(TestProvider.claims(at: clock.now), kid: kid, key: key)
    }

    func rs256() -> String { TokenKeys.rs256(TestProvider.claims(at: clock.now)) }

    // MARK: A JWKS document from the configuration

    @Test func configuredDocumentIsUsedAndNothingIsFetched() async {
        let source = CountingJWKSSource()
        let verifier = verifier(source: source, jwks: TokenKeys.jwks)
        #expect(await verifier.outcome(es256()) == .accepted)
        #expect(await verifier.outcome(rs256()) == .accepted)
        #expect(await verifier.outcome(es256(kid: "rotated-key")) == .refused(.unknownKeyID))
        clock.advance(3600)
        #expect(await verifier.outcome(es256(kid: "rotated-key")) == .refused(.unknownKeyID))
        #expect(source.fetches == 0)
    }

    /// Keys this server cannot use are skipped without sinking the ones it can.
    @Test func unusableKeysInADocumentAreSkipped() async {
        let ec = TokenKeys.ec.publicKey
        let document = TokenKeys.document(raw: [
            ["kty": "oct", "kid": "hmac", "k": "c2VjcmV0"],
            ["kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"],
            .object(TokenKeys.jwk(ec, kid: "encryption", extra: ["use": "enc"])),
            .object(TokenKeys.jwk(ec, kid: "declared-es384", extra: ["alg": "ES384"])),
            .object(TokenKeys.jwk(ec, kid: "no-alg").filter { $0.key != "alg" }),
            ["kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA", "kid": "bad-point"],
            ["kty": "RSA", "kid": "tiny-rsa", "n": "AQAB", "e": "AQAB"],
            "not an object",
            .object(TokenKeys.jwk(ec, kid: TokenKeys.ecID)),
        ])
        let verifier = verifier(source: CountingJWKSSource(), jwks: document)
        #expect(await verifier.outcome(es256()) == .accepted)
        #expect(await verifier.outcome(es256(kid: "no-alg")) == .accepted)
        for kid in ["hmac", "encryption", "declared-es384", "bad-point", "tiny-rsa"] {
            #expect(await verifier.outcome(es256(kid: kid)) == .refused(.unknownKeyID), "\(kid)")
        }
        // An Ed25519 key is usable, for EdDSA only.
        #expect(await verifier.outcome(es256(kid: "ed")) == .refused(.keyAlgorithmMismatch))
    }

    @Test(arguments: [Data("not json".utf8), Data("{}".utf8), Data("[]".utf8), Data(#"{"keys": {}}"#.utf8)])
    func documentThatIsNotAJWKSFailsClosed(_ document: Data) async {
        let verifier = verifier(source: CountingJWKSSource(), jwks: document)
        #expect(await verifier.outcome(es256()) == .refused(.keysUnavailable))
        #expect(await verifier.outcome(RawToken.hs256(TestProvider.claims())) == .accepted)
    }

    // MARK: Fetched through a JWKSSource

    @Test func keysAreFetchedOnDemandAndCached() async {
        let source = CountingJWKSSource()
        let verifier = verifier(source: source)
        #expect(await verifier.outcome(RawToken.hs256(TestProvider.claims())) == .accepted)
        #expect(source.fetches == 0, "an HS256 token needs no JWKS")
        #expect(await verifier.outcome(es256()) == .accepted)
        #expect(await verifier.outcome(rs256()) == .accepted)
        clock.advance(599)
        #expect(await verifier.outcome(es256()) == .accepted)
        #expect(source.fetches == 1)
    }

    @Test func cachedKeysExpireAfterTenMinutes() async {
        let source = CountingJWKSSource()
        let verifier = verifier(source: source)
        #expect(await verifier.outcome(es256()) == .accepted)
        clock.advance(600)
        #expect(await verifier.outcome(es256()) == .accepted)
        #expect(source.fetches == 2)
        // A key removed from the JWKS stops verifying once the cache expires.
        source.serve(TokenKeys.document([TokenKeys.jwk(TokenKeys.rsa.publicKey, kid: TokenKeys.rsaID)]))
        clock.advance(599)
        #expect(await verifier.outcome(es256()) == .accepted)
        clock.advance(1)
        #expect(await verifier.outcome(es256()) == .refused(.unknownKeyID))
        #expect(source.fetches == 3)
    }

    @Test func expiredKeysAreNotUsedWhenTheRefetchFails() async {
        let source = CountingJWKSSource()
        let verifier = verifier(source: source)
        #expect(await verifier.outcome(es256()) == .accepted)
        source.fail(true)
        clock.advance(600)
        #expect(await verifier.outcome(es256()) == .refused(.keysUnavailable))
    }

    @Test func unknownKidCausesOneRefetchPerMinute() async {
        let source = CountingJWKSSource()
        let verifier = verifier(source: source)
        #expect(await verifier.outcome(es256()) == .accepted)
        #expect(source.fetches == 1)
        // Within a minute of the last fetch: refused without fetching.
        clock.advance(59)
        #expect(await verifier.outcome(es256(kid: "unknown-1")) == .refused(.unknownKeyID))
        #expect(source.fetches == 1)
        // A minute on: one refetch, then refused.
        clock.advance(1)
        #expect(await verifier.outcome(es256(kid: "unknown-1")) == .refused(.unknownKeyID))
        #expect(source.fetches == 2)
        // Another unknown kid within the minute does not refetch.
        clock.advance(30)
        #expect(await verifier.outcome(es256(kid: "unknown-2")) == .refused(.unknownKeyID))
        #expect(await verifier.outcome(es256(kid: "unknown-1")) == .refused(.unknownKeyID))
        #expect(source.fetches == 2)
        // After the minute it may again.
        clock.advance(30)
        #expect(await verifier.outcome(es256(kid: "unknown-2")) == .refused(.unknownKeyID))
        #expect(source.fetches == 3)
        // Known keys keep working throughout, from the cache.
        #expect(await verifier.outcome(rs256()) == .accepted)
        #expect(source.fetches == 3)
    }

    @Test func firstTokenWithAnUnknownKidFetchesOnce() async {
        let source = CountingJWKSSource()
        let verifier = verifier(source: source)
        #expect(await verifier.outcome(es256(kid: "unknown")) == .refused(.unknownKeyID))
        #expect(source.fetches == 1)
    }

    /// Key rotation: a token signed with a key published after the keys were cached.
    @Test func refetchFindsARotatedKey() async {
        let source = CountingJWKSSource()
        let verifier = verifier(source: source)
        #expect(await verifier.outcome(es256()) == .accepted)
        let rotated = P256.Signing.PrivateKey()
        source.serve(
            TokenKeys.document([
                TokenKeys.jwk(TokenKeys.ec.publicKey, kid: TokenKeys.ecID),
                TokenKeys.jwk(rotated.publicKey, kid: "ec-key-2"),
            ]))
        clock.advance(60)
        #expect(await verifier.outcome(es256(kid: "ec-key-2", key: rotated)) == .accepted)
        #expect(await verifier.outcome(es256()) == .accepted)
        #expect(source.fetches == 2)
    }

    @Test func fetchFailureFailsClosedAndBacksOff() async {
        let source = CountingJWKSSource()
        source.fail(true)
        let verifier = verifier(source: source)
        let error = await verifier.error(es256())
        #expect(error == .keysUnavailable)
        #expect(error?.code == .invalidToken)
        #expect(source.fetches == 1)
        // An unreachable JWKS is not asked again on every request...
        clock.advance(4)
        #expect(await verifier.outcome(es256()) == .refused(.keysUnavailable))
        #expect(source.fetches == 1)
        // ...but is after a few seconds, and recovery is immediate.
        source.fail(false)
        clock.advance(1)
        #expect(await verifier.outcome(es256()) == .accepted)
        #expect(source.fetches == 2)
        // HS256 never depended on it.
        #expect(await verifier.outcome(RawToken.hs256(TestProvider.claims(at: clock.now))) == .accepted)
    }

    @Test func failedRefetchKeepsFreshKeys() async {
        let source = CountingJWKSSource()
        let verifier = verifier(source: source)
        #expect(await verifier.outcome(es256()) == .accepted)
        source.fail(true)
        clock.advance(60)
        #expect(await verifier.outcome(es256(kid: "unknown")) == .refused(.keysUnavailable))
        #expect(await verifier.outcome(es256()) == .accepted)
        #expect(source.fetches == 2)
    }

    /// Many requests that need the keys at once share one fetch.
    @Test func concurrentFirstRequestsShareOneFetch() async {
        let source = CountingJWKSSource()
        source.hold()
        let verifier = verifier(source: source)
        let token = es256()
        await withTaskGroup(of: VerifyOutcome.self) { group in
            for _ in 0..<16 { group.addTask { await verifier.outcome(token) } }
            await waitUntil { source.fetches >= 1 }
            for _ in 0..<1_000 { await Task.yield() }
            source.release()
            for await outcome in group { #expect(outcome == .accepted) }
        }
        #expect(source.fetches == 1)
    }

    /// The once-a-minute limit holds across concurrent requests with different unknown kids.
    @Test func concurrentUnknownKidsShareOneRefetch() async {
        let source = CountingJWKSSource()
        let verifier = verifier(source: source)
        #expect(await verifier.outcome(es256()) == .accepted)
        clock.advance(61)
        source.hold()
        let tokens = (0..<16).map { es256(kid: "unknown-\($0)") }
        await withTaskGroup(of: VerifyOutcome.self) { group in
            for token in tokens { group.addTask { await verifier.outcome(token) } }
            await waitUntil { source.fetches >= 2 }
            for _ in 0..<1_000 { await Task.yield() }
            source.release()
            for await outcome in group { #expect(outcome == .refused(.unknownKeyID)) }
        }
        #expect(source.fetches == 2)
    }

    private func waitUntil(_ condition: () -> Bool) async {
        for _ in 0..<100_000 where !condition() { await Task.yield() }
    }
}
