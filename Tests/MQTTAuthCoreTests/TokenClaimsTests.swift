import Foundation
import MQTTAuthCore
import Testing

/// One change to a valid token's claims and what the verifier must answer.
struct ClaimCase: Sendable, CustomTestStringConvertible {
    let name: String
    let expected: VerifyOutcome
    let edit: @Sendable (inout [String: ClaimJSON], Date) -> Void

    init(
        _ name: String, _ expected: VerifyOutcome, _ edit: @escaping @Sendable (inout [String: ClaimJSON], Date) -> Void
    ) {
        self.name = name
        self.expected = expected
        self.edit = edit
    }

    var testDescription: String { "\(name) → \(expected.testDescription)" }
}

@Suite("Token claims (docs/architecture.md §5), HS256 with the JWT secret")
struct TokenClaimsTests {
    let clock = TokenTestClock()

    func verifier(allowAnonymous: Bool = false, leeway: Int = 30) -> TokenVerifier {
        TokenVerifier(
            configuration: TestProvider.configuration(allowAnonymous: allowAnonymous, leeway: leeway),
            jwksSource: nil,
            now: clock.closure
        )
    }

    @Test func validHS256TokenIsAcceptedWithItsClaims() async throws {
        let verified = try await verifier().verify(RawToken.hs256(TestProvider.claims()))
        let expected = VerifiedToken(
            subject: TestProvider.subject,
            email: "john.doe@example.com",
            expiresAt: TestProvider.now.addingTimeInterval(3600),
            issuedAt: TestProvider.now,
            isAnonymous: false
        )
        #expect(verified == expected)
    }

    /// Supabase's newer projects put a `kid` on tokens signed with the legacy secret too.
    @Test func hs256TokenWithAKidIsCheckedAgainstTheSecret() async throws {
        let verified = try await verifier().verify(RawToken.hs256(TestProvider.claims(), kid: "legacy-secret-kid"))
        #expect(verified.subject == TestProvider.subject)
    }

    static let cases: [ClaimCase] = [
        // exp and nbf, with the default 30 s leeway, at the boundaries.
        ClaimCase("exp passed beyond the leeway", .refused(.expired)) {
            $0["exp"] = $1.addingTimeInterval(-31).jwtSeconds
        },
        ClaimCase("exp passed exactly by the leeway", .refused(.expired)) {
            $0["exp"] = $1.addingTimeInterval(-30).jwtSeconds
        },
        ClaimCase("exp passed within the leeway", .accepted) { $0["exp"] = $1.addingTimeInterval(-29).jwtSeconds },
        ClaimCase("exp long past", .refused(.expired)) { $0["exp"] = $1.addingTimeInterval(-86_400).jwtSeconds },
        ClaimCase("no exp", .refused(.missingExpiry)) { c, _ in c["exp"] = nil },
        ClaimCase("nbf in the future beyond the leeway", .refused(.notYetValid)) {
            $0["nbf"] = $1.addingTimeInterval(31).jwtSeconds
        },
        ClaimCase("nbf in the future within the leeway", .accepted) {
            $0["nbf"] = $1.addingTimeInterval(30).jwtSeconds
        },
        ClaimCase("nbf in the past", .accepted) { $0["nbf"] = $1.addingTimeInterval(-60).jwtSeconds },
        // iss, exactly.
        ClaimCase("iss of another project", .refused(.issuer)) { c, _ in
            c["iss"] = "https://otherproject.supabase.co/auth/v1"
        },
        ClaimCase("iss with a trailing slash", .refused(.issuer)) { c, _ in
            c["iss"] = .string(TestProvider.issuer + "/")
        },
        ClaimCase("iss in another case", .refused(.issuer)) { c, _ in
            c["iss"] = .string(TestProvider.issuer.uppercased())
        },
        ClaimCase("no iss", .refused(.issuer)) { c, _ in c["iss"] = nil },
        // aud, as a string or an array.
        ClaimCase("aud anon", .refused(.audience)) { c, _ in c["aud"] = "anon" },
        ClaimCase("aud array containing authenticated", .accepted) { c, _ in
            c["aud"] = ["other-api", "authenticated"]
        },
        ClaimCase("aud array without authenticated", .refused(.audience)) { c, _ in c["aud"] = ["other-api", "anon"] },
        ClaimCase("aud empty array", .refused(.audience)) { c, _ in c["aud"] = [] },
        ClaimCase("no aud", .refused(.audience)) { c, _ in c["aud"] = nil },
        // role.
        ClaimCase("role anon", .refused(.role)) { c, _ in c["role"] = "anon" },
        ClaimCase("role service_role", .refused(.role)) { c, _ in c["role"] = "service_role" },
        ClaimCase("no role", .refused(.role)) { c, _ in c["role"] = nil },
        ClaimCase("role only in user_metadata", .refused(.role)) { c, _ in
            c["role"] = "anon"
            c["user_metadata"] = ["role": "authenticated"]
        },
        // sub.
        ClaimCase("no sub", .refused(.missingSubject)) { c, _ in c["sub"] = nil },
        ClaimCase("empty sub", .refused(.missingSubject)) { c, _ in c["sub"] = "" },
        ClaimCase("sub only in user_metadata", .refused(.missingSubject)) { c, _ in
            c["sub"] = nil
            c["user_metadata"] = ["sub": .string(TestProvider.subject)]
        },
        // is_anonymous.
        ClaimCase("anonymous user", .refused(.anonymousNotAllowed)) { c, _ in c["is_anonymous"] = true },
        ClaimCase("is_anonymous false", .accepted) { c, _ in c["is_anonymous"] = false },
        ClaimCase("no is_anonymous", .accepted) { c, _ in c["is_anonymous"] = nil },
        // claims of the wrong ClaimJSON type.
        ClaimCase("exp as a string", .refused(.format)) {
            $0["exp"] = .string("\(Int($1.timeIntervalSince1970) + 60)")
        },
        ClaimCase("sub as a number", .refused(.format)) { c, _ in c["sub"] = 42 },
        ClaimCase("is_anonymous as a string", .refused(.format)) { c, _ in c["is_anonymous"] = "false" },
        // token_expired only when nothing else is wrong.
        ClaimCase("expired and of another issuer", .refused(.issuer)) {
            $0["exp"] = $1.addingTimeInterval(-3600).jwtSeconds
            $0["iss"] = "https://otherproject.supabase.co/auth/v1"
        },
        ClaimCase("expired anon key shape", .refused(.role)) {
            $0["exp"] = $1.addingTimeInterval(-3600).jwtSeconds
            $0["role"] = "anon"
        },
    ]

    @Test(arguments: cases)
    func claimCheck(_ testCase: ClaimCase) async {
        var claims = TestProvider.claims()
        testCase.edit(&claims, TestProvider.now)
        #expect(await verifier().outcome(RawToken.hs256(claims)) == testCase.expected)
    }

    @Test func expiredTokenHasTheTokenExpiredCode() async {
        var claims = TestProvider.claims(at: TestProvider.now.addingTimeInterval(-7200))
        claims["exp"] = TestProvider.now.addingTimeInterval(-3600).jwtSeconds
        let error = await verifier().error(RawToken.hs256(claims))
        #expect(error?.code == .tokenExpired)
        #expect(error?.code.rawValue == "token_expired")
    }

    @Test func everyOtherRefusalHasTheInvalidTokenCode() async {
        for testCase in Self.cases {
            guard case .refused(let error) = testCase.expected, error != .expired else { continue }
            #expect(error.code.rawValue == "invalid_token", "\(testCase.name)")
        }
        #expect(TokenError.expired.code.rawValue == "token_expired")
    }

    @Test func leewayZeroIsExact() async {
        let strict = verifier(leeway: 0)
        var claims = TestProvider.claims()
        claims["exp"] = TestProvider.now.addingTimeInterval(1).jwtSeconds
        #expect(await strict.outcome(RawToken.hs256(claims)) == .accepted)
        claims["exp"] = TestProvider.now.jwtSeconds
        #expect(await strict.outcome(RawToken.hs256(claims)) == .refused(.expired))
        claims = TestProvider.claims()
        claims["nbf"] = TestProvider.now.addingTimeInterval(1).jwtSeconds
        #expect(await strict.outcome(RawToken.hs256(claims)) == .refused(.notYetValid))
        claims["nbf"] = TestProvider.now.jwtSeconds
        #expect(await strict.outcome(RawToken.hs256(claims)) == .accepted)
    }

    /// The verifier reads the injected clock on every call, not once.
    @Test func theInjectedClockDecidesExpiry() async {
        let verifier = verifier()
        let token = RawToken.hs256(TestProvider.claims())
        #expect(await verifier.outcome(token) == .accepted)
        clock.advance(3600 + 29)
        #expect(await verifier.outcome(token) == .accepted)
        clock.advance(1)
        #expect(await verifier.outcome(token) == .refused(.expired))
    }

    @Test func anonymousUserIsAcceptedWhenTheProviderAllowsIt() async throws {
        var claims = TestProvider.claims()
        claims["is_anonymous"] = true
        claims["email"] = ""
        let verified = try await verifier(allowAnonymous: true).verify(RawToken.hs256(claims))
        #expect(verified.isAnonymous)
        #expect(verified.email == nil)
        #expect(await verifier(allowAnonymous: false).outcome(RawToken.hs256(claims)) == .refused(.anonymousNotAllowed))
    }

    @Test func missingEmailIsNil() async throws {
        var claims = TestProvider.claims()
        claims["email"] = nil
        #expect(try await verifier().verify(RawToken.hs256(claims)).email == nil)
    }

    /// Supabase's `anon` and `service_role` API keys are JWTs signed with the same secret:
    /// `{"iss": "supabase", "ref": ..., "role": ..., "iat": ..., "exp": ...}`, no `sub`, no `aud`.
    @Test(arguments: ["anon", "service_role"])
    func supabaseAPIKeysAreNotUserTokens(role: String) async {
        let apiKey: [String: ClaimJSON] = [
            "iss": "supabase", "ref": "abcdefghijklmnop", "role": .string(role),
            "iat": TestProvider.now.addingTimeInterval(-86_400).jwtSeconds,
            "exp": TestProvider.now.addingTimeInterval(10 * 365 * 86_400).jwtSeconds,
        ]
        let error = await verifier().error(RawToken.hs256(apiKey))
        #expect(error == .role)
        #expect(error?.code == .invalidToken)
    }
}
