import Foundation
import MQTTAuthCore
import Testing

@Suite("Credential rules: usernames")
struct CredentialRulesUsernameTests {
    @Test func emailExampleFromTheDesign() throws {
        let name = try CredentialRules.username(source: .email, subject: "0b5b", email: "John.Doe@example.com")
        #expect(name == "john_doe_example_com")
    }

    @Test(arguments: [
        ("José.Núñez@exämple.com", "jos__n__ez_ex_mple_com"),
        ("Jose\u{301}@x.io", "jos__x_io"),                 // decomposed é: one character, one "_"
        ("Jos\u{E9}@x.io", "jos__x_io"),                   // precomposed é: the same name
        ("👨‍👩‍👧@x.io", "__x_io"),                           // one grapheme of five scalars
        ("\u{212A}elvin@x.io", "_elvin_x_io"),             // Kelvin sign: only ASCII is lower-cased
        ("a+b/c#d$e%f@x", "a_b_c_d_e_f_x"),
        ("UPPER_lower-09@X.IO", "upper_lower-09_x_io"),
        ("\u{0}\n\r\n@x", "____x"),                        // "\r\n" is one character
        ("$SYS@x", "_sys_x"),
    ])
    func emailIsLowerCasedAndSanitised(email: String, expected: String) throws {
        let name = try CredentialRules.username(source: .email, subject: "sub", email: email)
        #expect(name == expected)
        try CredentialRules.validateUsername(name)
    }

    @Test(arguments: [nil, ""] as [String?])
    func missingEmailIsAnError(email: String?) {
        #expect(throws: CredentialError.self) {
            try CredentialRules.username(source: .email, subject: "0b5b", email: email)
        }
    }

    @Test(arguments: ["2f1c6f0e-7d3a-4a8b-9a51-0c8e3e7a5b11", "auth0|12345", "user@example.com", "ünïcödé", "a$b", "-"])
    func uuidPassesTheSubjectThrough(subject: String) throws {
        let name = try CredentialRules.username(source: .uuid, subject: subject, email: "ignored@example.com")
        #expect(name == subject)
    }

    @Test(arguments: ["", "a/b", "a+b", "#", "users/#", "a\u{0}b", "$SYS", "$", "line\nbreak", "del\u{7F}", "c1\u{85}"])
    func uuidRefusesSubjectsThatAreNotALevel(subject: String) {
        #expect(throws: CredentialError.self) {
            try CredentialRules.username(source: .uuid, subject: subject, email: "a@b.c")
        }
    }

    @Test func errorsNeverQuoteTheSubject() {
        do throws(CredentialError) {
            _ = try CredentialRules.username(source: .uuid, subject: "secret/part", email: nil)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("'/'"))
            #expect(!error.description.contains("secret"))
        }
    }

    @Test func longEmailIsCutTo128BytesWithAHashOfTheWholeName() throws {
        let email = String(repeating: "a", count: 200) + "@example.com"
        let name = try CredentialRules.username(source: .email, subject: "sub", email: email)
        let whole = String(repeating: "a", count: 200) + "_example_com"
        #expect(name.utf8.count == 128)
        #expect(name == String(repeating: "a", count: 111) + "-" + hex(CredentialRules.hash(whole)).prefix(16))
        #expect(try CredentialRules.username(source: .email, subject: "other", email: email) == name)
        try CredentialRules.validateUsername(name)

        // Same first 111 bytes, different ends: different names.
        let other = try CredentialRules.username(source: .email, subject: "sub", email: String(repeating: "a", count: 200) + "@example.org")
        #expect(other != name)
        #expect(other.utf8.count == 128)
    }

    @Test func namesUpTo128BytesAreKeptWhole() throws {
        let exact = String(repeating: "b", count: 128)
        #expect(try CredentialRules.username(source: .uuid, subject: exact, email: nil) == exact)
        let over = exact + "b"
        let cut = try CredentialRules.username(source: .uuid, subject: over, email: nil)
        #expect(cut != over)
        #expect(cut.utf8.count == 128)
    }

    @Test func longUnicodeSubjectIsCutOnAScalarBoundary() throws {
        let subject = String(repeating: "ß", count: 100)    // 200 bytes, 2 per scalar
        let name = try CredentialRules.username(source: .uuid, subject: subject, email: nil)
        #expect(name.utf8.count <= 128)
        #expect(name.hasPrefix(String(repeating: "ß", count: 55) + "-"))   // 110 bytes fit in 111
        #expect(name == String(repeating: "ß", count: 55) + "-" + hex(CredentialRules.hash(subject)).prefix(16))
        try CredentialRules.validateUsername(name)
    }

    @Test(arguments: ["", "a/b", "a+b", "#", "$x", "a\u{0}", "tab\t", String(repeating: "x", count: 129)])
    func validateUsernameRefuses(name: String) {
        #expect(throws: CredentialError.self) { try CredentialRules.validateUsername(name) }
    }
}

@Suite("Credential rules: collision suffix")
struct CredentialRulesSuffixTests {
    @Test func suffixIsTheFirst8HexOfTheIdentityHash() {
        let name = CredentialRules.disambiguated("john_doe_example_com", provider: "supabase", subject: "0b5b")
        let tag = hex(CredentialRules.hash("supabase\u{0}0b5b")).prefix(8)
        #expect(name == "john_doe_example_com-" + tag)
    }

    @Test func suffixIsDeterministic() {
        let first = CredentialRules.disambiguated("alice", provider: "supabase", subject: "s-1")
        let again = CredentialRules.disambiguated("alice", provider: "supabase", subject: "s-1")
        #expect(first == again)
        #expect(CredentialRules.disambiguated("alice", provider: "supabase", subject: "s-1", attempt: 0) == first)
    }

    @Test func suffixDiffersBetweenIdentities() {
        let names: Set = [
            CredentialRules.disambiguated("alice", provider: "supabase", subject: "s-1"),
            CredentialRules.disambiguated("alice", provider: "supabase", subject: "s-2"),
            CredentialRules.disambiguated("alice", provider: "firebase", subject: "s-1"),
            CredentialRules.disambiguated("alice", provider: "ab", subject: "c"),
            CredentialRules.disambiguated("alice", provider: "a", subject: "bc"),
        ]
        #expect(names.count == 5)
    }

    @Test func laterAttemptsAreDistinct() {
        let names = Set((0..<100).map { CredentialRules.disambiguated("alice", provider: "p", subject: "s", attempt: $0) })
        #expect(names.count == 100)
        #expect(names.allSatisfy { $0.hasPrefix("alice-") && $0.utf8.count == 14 })
    }

    @Test func suffixedNamesStayWithin128Bytes() throws {
        for base in [String(repeating: "x", count: 128), String(repeating: "é", count: 64), "x"] {
            let name = CredentialRules.disambiguated(base, provider: "supabase", subject: "0b5b")
            #expect(name.utf8.count <= 128)
            #expect(name.hasSuffix("-" + hex(CredentialRules.hash("supabase\u{0}0b5b")).prefix(8)))
            try CredentialRules.validateUsername(name)
        }
        let cut = CredentialRules.disambiguated(String(repeating: "x", count: 128), provider: "p", subject: "s")
        #expect(cut.hasPrefix(String(repeating: "x", count: 119) + "-"))
    }
}

@Suite("Credential rules: passwords and hashes")
struct CredentialRulesSecretTests {
    static let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    @Test func passwordIs43URLSafeCharactersOf32Bytes() throws {
        let password = CredentialRules.newPassword()
        #expect(password.count == 43)
        #expect(password.allSatisfy { Self.alphabet.contains($0) })
        #expect(try decode(password).count == 32)
    }

    @Test func passwordsAreUniqueAndUseTheWholeAlphabet() throws {
        var seen = Set<String>()
        var symbols = Set<Character>()
        var ones = 0
        let draws = 10_000
        for _ in 0..<draws {
            let password = CredentialRules.newPassword()
            seen.insert(password)
            symbols.formUnion(password.dropLast())
            #expect(password.count == 43)
            ones += try decode(password).reduce(0) { $0 + $1.nonzeroBitCount }
        }
        #expect(seen.count == draws)
        #expect(symbols == Self.alphabet)
        // 2,560,000 random bits: about half are set (a 0.01 margin is over 30 standard deviations).
        let share = Double(ones) / Double(draws * 256)
        #expect(abs(share - 0.5) < 0.01)
    }

    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("The quick brown fox jumps over the lazy dog", "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"),
    ])
    func hashIsSHA256OfUTF8(input: String, expected: String) {
        let digest = CredentialRules.hash(input)
        #expect(digest.count == 32)
        #expect(hex(digest) == expected)
    }

    @Test func constantTimeEqualIsCorrect() {
        let a: [UInt8] = Array(0..<32)
        #expect(CredentialRules.constantTimeEqual(a, a))
        #expect(CredentialRules.constantTimeEqual(a, Array(a)[...]))
        #expect(CredentialRules.constantTimeEqual(a, Data(a)))
        #expect(CredentialRules.constantTimeEqual([UInt8](), [UInt8]()))
        for position in [0, 1, 15, 31] {
            for bit in 0..<8 {
                var b = a
                b[position] ^= 1 << bit
                #expect(!CredentialRules.constantTimeEqual(a, b))
            }
        }
        #expect(!CredentialRules.constantTimeEqual(a, a.dropLast()))
        #expect(!CredentialRules.constantTimeEqual(a, a + [0]))
        #expect(!CredentialRules.constantTimeEqual([UInt8](), [0]))
    }

    @Test func hashesOfDifferentPasswordsNeverCompareEqual() {
        for _ in 0..<1_000 {
            let one = CredentialRules.hash(CredentialRules.newPassword())
            let two = CredentialRules.hash(CredentialRules.newPassword())
            #expect(!CredentialRules.constantTimeEqual(one, two))
            #expect(CredentialRules.constantTimeEqual(one, Array(one)))
        }
    }
}

/// Lower-case hex of `bytes`.
private func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}

/// The bytes of unpadded URL-safe base64.
private func decode(_ text: String) throws -> Data {
    var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while standard.count % 4 != 0 { standard += "=" }
    return try #require(Data(base64Encoded: standard))
}
