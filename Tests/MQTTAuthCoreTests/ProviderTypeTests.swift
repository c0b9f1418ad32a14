import Crypto
import Foundation
import MQTTAuthCore
import Testing

/// One provider type, with a token shaped as that IdP issues it (README "Identity providers").
struct ProviderFixture: Sendable, CustomTestStringConvertible {
    let name: String
    let configuration: TokenVerifierConfiguration
    /// The claims of a valid token issued at `now`.
    let claims: @Sendable (Date) -> [String: ClaimJSON]
    /// Signs claims the way the IdP does.
    let sign: @Sendable ([String: ClaimJSON]) -> String

    var testDescription: String { name }

    static let now = TestProvider.now

    static let supabase = ProviderFixture(
        name: "supabase",
        configuration: TokenVerifierConfiguration(issuer: TestProvider.issuer, hs256Secret: TestProvider.secret, jwks: TokenKeys.everyKey),
        claims: { TestProvider.claims(at: $0) },
        sign: { TokenKeys.es256($0) }
    )

    /// A Firebase ID token: `iss` securetoken, `aud` the project id, `auth_time`, `user_id`,
    /// and the `firebase` object naming the sign-in method.
    static let firebase = ProviderFixture(
        name: "firebase",
        configuration: .firebase(projectID: "demo-mqtt", jwks: TokenKeys.everyKey),
        claims: { now in
            [
                "iss": "https://securetoken.google.com/demo-mqtt",
                "aud": "demo-mqtt",
                "auth_time": now.addingTimeInterval(-600).jwtSeconds,
                "user_id": "Xq3c9H7mZkT2vYb1nR4sLw8pJd52",
                "sub": "Xq3c9H7mZkT2vYb1nR4sLw8pJd52",
                "iat": now.jwtSeconds,
                "exp": now.addingTimeInterval(3600).jwtSeconds,
                "email": "ada@example.com",
                "email_verified": true,
                "firebase": ["identities": ["email": ["ada@example.com"]], "sign_in_provider": "password"],
            ]
        },
        sign: { TokenKeys.rs256($0) }
    )

    /// An Auth0 access token for an API: `iss` with its trailing slash, `aud` an array holding
    /// the API identifier and the userinfo endpoint, a `sub` with a `|`.
    static let auth0 = ProviderFixture(
        name: "auth0",
        configuration: .auth0(domain: "tenant.eu.auth0.com", audience: "https://mqtt.example.com", jwks: TokenKeys.everyKey),
        claims: { now in
            [
                "iss": "https://tenant.eu.auth0.com/",
                "sub": "auth0|64f1c2d3e4b5a6978812abcd",
                "aud": ["https://mqtt.example.com", "https://tenant.eu.auth0.com/userinfo"],
                "iat": now.jwtSeconds,
                "exp": now.addingTimeInterval(86400).jwtSeconds,
                "scope": "openid profile email",
                "azp": "Wq8cT1mZ3vYb2nR4sLw8pJd5",
            ]
        },
        sign: { TokenKeys.rs256($0) }
    )

    /// A Clerk session token: no `aud`, `azp` the page's origin, a minute of life.
    static let clerk = ProviderFixture(
        name: "clerk",
        configuration: .clerk(frontendAPI: "https://clerk.example.com", authorizedParties: ["https://app.example.com"],
                              jwks: TokenKeys.everyKey),
        claims: { now in
            [
                "iss": "https://clerk.example.com",
                "sub": "user_2NNEqL2nrIRdJ194ndJqAHwEfxC",
                "azp": "https://app.example.com",
                "sid": "sess_2NNEqIhvmNr4pW7w9nbvBBLhKCA",
                "iat": now.jwtSeconds,
                "nbf": now.addingTimeInterval(-10).jwtSeconds,
                "exp": now.addingTimeInterval(60).jwtSeconds,
            ]
        },
        sign: { TokenKeys.rs256($0) }
    )

    /// A generic OpenID Connect access token, ES256 by default.
    static let oidc = ProviderFixture(
        name: "oidc",
        configuration: .oidc(issuer: "https://id.example.com/realms/iot", audience: "mqtt", jwks: TokenKeys.everyKey),
        claims: { now in
            [
                "iss": "https://id.example.com/realms/iot",
                "sub": "7c1e4b7a-2f0d-4f7e-9a55-0f8a0a3c6e21",
                "aud": ["mqtt", "account"],
                "iat": now.jwtSeconds,
                "exp": now.addingTimeInterval(300).jwtSeconds,
                "email": "grace@example.com",
                "email_verified": false,
            ]
        },
        sign: { TokenKeys.es256($0) }
    )

    static let all = [supabase, firebase, auth0, clerk, oidc]
    /// The types that take keys only from a JWKS: HS256 is never theirs.
    static let publicKeyOnly = [firebase, auth0, clerk, oidc]

    func verifier(clock: TokenTestClock = TokenTestClock(), allowAnonymous: Bool = false) -> TokenVerifier {
        var configuration = configuration
        configuration.allowAnonymous = allowAnonymous
        return TokenVerifier(configuration: configuration, jwksSource: nil, now: clock.closure)
    }

    func token(_ edit: (inout [String: ClaimJSON]) -> Void = { _ in }) -> String {
        var claims = claims(Self.now)
        edit(&claims)
        return sign(claims)
    }
}

@Suite("Provider types (README \"Identity providers\"): each IdP's published token rules")
struct ProviderTypeTests {
    @Test(arguments: ProviderFixture.all)
    func aValidTokenIsAccepted(_ provider: ProviderFixture) async throws {
        try provider.configuration.validate()
        let verified = try await provider.verifier().verify(provider.token())
        #expect(verified.subject == provider.claims(ProviderFixture.now)["sub"].flatMap { if case .string(let s) = $0 { s } else { nil } })
        #expect(!verified.isAnonymous)
    }

    @Test(arguments: ProviderFixture.all)
    func anotherIssuerIsRefused(_ provider: ProviderFixture) async {
        let token = provider.token { $0["iss"] = "https://evil.example.com/" }
        #expect(await provider.verifier().outcome(token) == .refused(.issuer))
        let missing = provider.token { $0["iss"] = nil }
        #expect(await provider.verifier().outcome(missing) == .refused(.issuer))
    }

    @Test func auth0IssuerWithoutItsTrailingSlashIsRefused() async {
        let token = ProviderFixture.auth0.token { $0["iss"] = "https://tenant.eu.auth0.com" }
        #expect(await ProviderFixture.auth0.verifier().outcome(token) == .refused(.issuer))
    }

    @Test(arguments: [ProviderFixture.supabase, .firebase, .auth0, .oidc])
    func anotherAudienceIsRefused(_ provider: ProviderFixture) async {
        for aud: ClaimJSON in ["someone-else", ["someone-else", "https://tenant.eu.auth0.com/userinfo"], [], 7] {
            let token = provider.token { $0["aud"] = aud }
            let outcome = await provider.verifier().outcome(token)
            #expect(outcome == (aud == 7 ? .refused(.format) : .refused(.audience)), "\(aud)")
        }
        #expect(await provider.verifier().outcome(provider.token { $0["aud"] = nil }) == .refused(.audience))
    }

    @Test func auth0AudienceMayBeAStringOrAnArray() async {
        let verifier = ProviderFixture.auth0.verifier()
        #expect(await verifier.outcome(ProviderFixture.auth0.token { $0["aud"] = "https://mqtt.example.com" }) == .accepted)
        #expect(await verifier.outcome(ProviderFixture.auth0.token { $0["aud"] = ["https://tenant.eu.auth0.com/userinfo", "https://mqtt.example.com"] }) == .accepted)
    }

    @Test func clerkChecksNoAudience() async {
        let token = ProviderFixture.clerk.token { $0["aud"] = "anything" }
        #expect(await ProviderFixture.clerk.verifier().outcome(token) == .accepted)
    }

    @Test(arguments: ProviderFixture.all)
    func anExpiredTokenIsTokenExpired(_ provider: ProviderFixture) async {
        let clock = TokenTestClock()
        clock.advance(86400 + 31)
        #expect(await provider.verifier(clock: clock).outcome(provider.token()) == .refused(.expired))
        #expect(await provider.verifier().outcome(provider.token { $0["exp"] = nil }) == .refused(.missingExpiry))
    }

    @Test(arguments: ProviderFixture.all)
    func aFutureNotBeforeIsRefused(_ provider: ProviderFixture) async {
        let token = provider.token { $0["nbf"] = ProviderFixture.now.addingTimeInterval(120).jwtSeconds }
        #expect(await provider.verifier().outcome(token) == .refused(.notYetValid))
    }

    @Test func clerkAuthorizedPartiesAreEnforced() async {
        let verifier = ProviderFixture.clerk.verifier()
        #expect(await verifier.outcome(ProviderFixture.clerk.token { $0["azp"] = "https://evil.example.com" }) == .refused(.authorizedParty))
        #expect(await verifier.outcome(ProviderFixture.clerk.token { $0["azp"] = nil }) == .refused(.authorizedParty))
        // Without authorized_parties, any azp passes.
        var open = ProviderFixture.clerk.configuration
        open.authorizedParties = nil
        let openVerifier = TokenVerifier(configuration: open, jwksSource: nil, now: TokenTestClock().closure)
        #expect(await openVerifier.outcome(ProviderFixture.clerk.token { $0["azp"] = "https://evil.example.com" }) == .accepted)
    }

    @Test(arguments: ProviderFixture.all)
    func algNoneIsRefused(_ provider: ProviderFixture) async {
        let claims = provider.claims(ProviderFixture.now)
        for alg: ClaimJSON in ["none", "None", "NONE"] {
            let token = RawToken.unsigned(header: ["alg": alg, "typ": "JWT", "kid": .string(TokenKeys.rsaID)], claims: claims)
            #expect(await provider.verifier().outcome(token) == .refused(.algorithmNotAllowed))
        }
    }

    /// The classic confusion: HS256 "signed" with the bytes of the RSA public key the JWKS
    /// publishes, naming that key's kid.
    @Test(arguments: ProviderFixture.all)
    func hs256WithThePublicKeyAsSecretIsRefused(_ provider: ProviderFixture) async {
        let claims = provider.claims(ProviderFixture.now)
        let header: [String: ClaimJSON] = ["alg": "HS256", "typ": "JWT", "kid": .string(TokenKeys.rsaID)]
        for key in [TokenKeys.rsaPublicPEM, Array(TokenKeys.everyKey)] {
            let token = RawToken.hmac(header: header, claims: claims, key: key)
            let expected: VerifyOutcome = provider.name == "supabase" ? .refused(.signature) : .refused(.algorithmNotAllowed)
            #expect(await provider.verifier().outcome(token) == expected)
        }
    }

    @Test(arguments: ProviderFixture.publicKeyOnly)
    func hs256IsNeverAcceptedOutsideSupabase(_ provider: ProviderFixture) async {
        let token = RawToken.hs256(provider.claims(ProviderFixture.now))
        #expect(await provider.verifier().outcome(token) == .refused(.algorithmNotAllowed))
        var withSecret = provider.configuration
        withSecret.hs256Secret = TestProvider.secret
        #expect(throws: TokenConfigurationError.self) { try withSecret.validate() }
        var withHS = provider.configuration
        withHS.algorithms.insert(.hs256)
        #expect(throws: TokenConfigurationError.self) { try withHS.validate() }
    }

    @Test(arguments: ProviderFixture.all)
    func anUnknownKidIsRefused(_ provider: ProviderFixture) async {
        let claims = provider.claims(ProviderFixture.now)
        let token = provider.name == "supabase" || provider.name == "oidc"
            ? TokenKeys.es256(claims, kid: "rotated-away") : TokenKeys.rs256(claims, kid: "rotated-away")
        #expect(await provider.verifier().outcome(token) == .refused(.unknownKeyID))
        let noKid = provider.name == "supabase" || provider.name == "oidc"
            ? TokenKeys.es256(claims, kid: nil) : TokenKeys.rs256(claims, kid: nil)
        #expect(await provider.verifier().outcome(noKid) == .refused(.missingKeyID))
    }

    @Test(arguments: ProviderFixture.all)
    func aKeyOfAnotherPairIsASignatureFailure(_ provider: ProviderFixture) async {
        let claims = provider.claims(ProviderFixture.now)
        let token = provider.name == "supabase" || provider.name == "oidc"
            ? TokenKeys.es256(claims, key: TokenKeys.otherEC) : TokenKeys.rs256(claims, key: TokenKeys.otherRSA)
        #expect(await provider.verifier().outcome(token) == .refused(.signature))
    }

    /// Which algorithms each type takes: the table of README "Identity providers".
    @Test func eachTypeAcceptsItsAlgorithmsOnly() async {
        let expectations: [(ProviderFixture, [String: Bool])] = [
            (.supabase, ["RS256": true, "PS256": false, "ES256": true, "EdDSA": true]),
            (.firebase, ["RS256": true, "PS256": false, "ES256": false, "EdDSA": false]),
            (.auth0, ["RS256": true, "PS256": true, "ES256": false, "EdDSA": false]),
            (.clerk, ["RS256": true, "PS256": false, "ES256": false, "EdDSA": false]),
            (.oidc, ["RS256": true, "PS256": false, "ES256": true, "EdDSA": false]),
        ]
        for (provider, table) in expectations {
            let claims = provider.claims(ProviderFixture.now)
            let tokens = ["RS256": TokenKeys.rs256(claims), "PS256": TokenKeys.ps256(claims),
                          "ES256": TokenKeys.es256(claims), "EdDSA": TokenKeys.eddsa(claims)]
            for (alg, accepted) in table {
                let outcome = await provider.verifier().outcome(tokens[alg]!)
                #expect(outcome == (accepted ? .accepted : .refused(.algorithmNotAllowed)), "\(provider.name) \(alg)")
            }
        }
        var eddsa = ProviderFixture.oidc.configuration
        eddsa.algorithms = [.eddsa]
        let verifier = TokenVerifier(configuration: eddsa, jwksSource: nil, now: TokenTestClock().closure)
        let claims = ProviderFixture.oidc.claims(ProviderFixture.now)
        #expect(await verifier.outcome(TokenKeys.eddsa(claims)) == .accepted)
        #expect(await verifier.outcome(TokenKeys.es256(claims)) == .refused(.algorithmNotAllowed))
    }

    // MARK: Firebase

    @Test func firebaseSubjectMustBeNonEmptyAndAtMost128Characters() async {
        let verifier = ProviderFixture.firebase.verifier()
        #expect(await verifier.outcome(ProviderFixture.firebase.token { $0["sub"] = "" }) == .refused(.missingSubject))
        #expect(await verifier.outcome(ProviderFixture.firebase.token { $0["sub"] = nil }) == .refused(.missingSubject))
        let longest = String(repeating: "é", count: 128)
        #expect(await verifier.outcome(ProviderFixture.firebase.token { $0["sub"] = .string(longest) }) == .accepted)
        #expect(await verifier.outcome(ProviderFixture.firebase.token { $0["sub"] = .string(longest + "x") }) == .refused(.subjectTooLong))
    }

    @Test func firebaseAuthTimeMustNotBeInTheFuture() async {
        let verifier = ProviderFixture.firebase.verifier()
        let soon = ProviderFixture.firebase.token { $0["auth_time"] = ProviderFixture.now.addingTimeInterval(20).jwtSeconds }
        #expect(await verifier.outcome(soon) == .accepted, "within the leeway")
        let later = ProviderFixture.firebase.token { $0["auth_time"] = ProviderFixture.now.addingTimeInterval(3600).jwtSeconds }
        #expect(await verifier.outcome(later) == .refused(.authTimeInFuture))
        let malformed = ProviderFixture.firebase.token { $0["auth_time"] = "yesterday" }
        #expect(await verifier.outcome(malformed) == .refused(.format))
    }

    @Test func firebaseAnonymousUsersNeedAllowAnonymous() async throws {
        let anonymous = ProviderFixture.firebase.token {
            $0["firebase"] = ["identities": [:], "sign_in_provider": "anonymous"]
            $0["email"] = nil
            $0["email_verified"] = nil
        }
        #expect(await ProviderFixture.firebase.verifier().outcome(anonymous) == .refused(.anonymousNotAllowed))
        let verified = try await ProviderFixture.firebase.verifier(allowAnonymous: true).verify(anonymous)
        #expect(verified.isAnonymous)
    }

    // MARK: Email

    @Test func emailIsVerifiedOnlyByAJSONTrue() async throws {
        let provider = ProviderFixture.firebase
        for (value, verified) in [(ClaimJSON.bool(true), true), (.bool(false), false), (.string("true"), false), (.int(1), false), (.null, false)] {
            let token = try await provider.verifier().verify(provider.token { $0["email_verified"] = value })
            #expect(token.email == "ada@example.com")
            #expect(token.emailVerified == verified, "\(value)")
        }
        let missing = try await provider.verifier().verify(provider.token { $0["email_verified"] = nil })
        #expect(!missing.emailVerified)
        // Supabase tokens carry no email_verified: Supabase signs users in once confirmed.
        let supabase = try await ProviderFixture.supabase.verifier().verify(ProviderFixture.supabase.token())
        #expect(supabase.emailVerified)
    }

    @Test func anUnverifiedEmailNeverBecomesAUsername() async throws {
        let token = try await ProviderFixture.oidc.verifier().verify(ProviderFixture.oidc.token())
        #expect(!token.emailVerified)
        #expect(throws: CredentialError.self) {
            try CredentialRules.username(source: .email, subject: token.subject, email: token.email, emailVerified: token.emailVerified)
        }
        do {
            _ = try CredentialRules.username(source: .email, subject: token.subject, email: token.email, emailVerified: false)
        } catch {
            #expect(error.description.contains("email_verified"))
        }
        let verified = try await ProviderFixture.oidc.verifier().verify(ProviderFixture.oidc.token { $0["email_verified"] = true })
        #expect(try CredentialRules.username(source: .email, subject: verified.subject, email: verified.email,
                                             emailVerified: verified.emailVerified) == "grace_example_com")
        // `sub` needs no verification: Auth0's `auth0|…` is a valid topic level.
        let auth0 = try await ProviderFixture.auth0.verifier().verify(ProviderFixture.auth0.token())
        #expect(try CredentialRules.username(source: .uuid, subject: auth0.subject, email: nil) == "auth0|64f1c2d3e4b5a6978812abcd")
    }

    // MARK: Hostile claims

    /// Claims of other IdPs, of odd types, do not break a token they do not concern; huge or
    /// deeply nested ones are a clean refusal, never a crash.
    @Test func foreignAndHostileClaims() async {
        let verifier = ProviderFixture.oidc.verifier()
        let oddRole = ProviderFixture.oidc.token { $0["role"] = ["admin", "user"] }
        #expect(await verifier.outcome(oddRole) == .accepted)
        let badAnonymous = ProviderFixture.supabase.token { $0["is_anonymous"] = "false" }
        #expect(await ProviderFixture.supabase.verifier().outcome(badAnonymous) == .refused(.format))
        // 100,000 nested arrays, past any JSON encoder's depth limit: written by hand.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var payload = String(decoding: try! encoder.encode(ProviderFixture.oidc.claims(ProviderFixture.now)), as: UTF8.self)
        payload.removeLast()
        payload += #","custom":"# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        let input = TokenBase64URL.encode(Data(#"{"alg":"ES256","kid":"\#(TokenKeys.ecID)"}"#.utf8)) + "." + TokenBase64URL.encode(Data(payload.utf8))
        let deep = input + "." + TokenBase64URL.encode(try! TokenKeys.ec.signature(for: Data(input.utf8)).rawRepresentation)
        #expect(await verifier.outcome(deep) == .refused(.format))
        let huge = ProviderFixture.oidc.token { $0["blob"] = .string(String(repeating: "x", count: 1 << 20)) }
        #expect(await verifier.outcome(huge) == .accepted)
    }

    // MARK: Configuration

    @Test func configurationsAreCheckedBeforeAnyToken() {
        #expect(throws: TokenConfigurationError("algorithms is empty")) {
            try TokenVerifierConfiguration.oidc(issuer: "https://id.example.com", audience: "mqtt", algorithms: []).validate()
        }
        #expect(throws: TokenConfigurationError("the audience is empty")) {
            try TokenVerifierConfiguration.oidc(issuer: "https://id.example.com", audience: "").validate()
        }
        #expect(throws: TokenConfigurationError("authorized_parties must list at least one non-empty value")) {
            try TokenVerifierConfiguration.clerk(frontendAPI: "https://clerk.example.com", authorizedParties: []).validate()
        }
        #expect(throws: TokenConfigurationError("jwks_file has no usable signing key for RS256 (with a kid)")) {
            try TokenVerifierConfiguration.firebase(projectID: "p", jwks: TokenKeys.document([TokenKeys.jwk(TokenKeys.ec.publicKey, kid: "ec")])).validate()
        }
    }
}
