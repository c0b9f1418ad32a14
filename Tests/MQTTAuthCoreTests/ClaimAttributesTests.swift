import Foundation
import MQTTAuthCore
import Testing

@Suite("Attributes read from token claims (README \"Attributes\")")
struct ClaimAttributesTests {
    /// A token whose claims are `claims` (the signature is never looked at: the verifier has
    /// already checked it when attributes are read).
    static func token(_ claims: [String: ClaimJSON]) -> String {
        RawToken.unsigned(header: ["alg": "HS256"], claims: claims, signature: "sig")
    }

    static func declare(_ pairs: [(String, String)]) -> [ClaimAttributes.Declaration] {
        pairs.map { ClaimAttributes.Declaration(name: $0.0, path: $0.1.split(separator: ".").map(String.init)) }
    }

    @Test func valuesOfEachClaimType() {
        let token = Self.token([
            "sub": "u-1",
            "app_metadata": [
                "org_id": "acme", "tier": 3, "roles": ["admin", "dev", "admin", 7, true, ["nested"]], "ratio": .string("0.5"),
                "flag": true, "nothing": .null, "object": ["a": "b"], "empty": [], "bools": [true, false],
            ],
            "team": 42,
        ])
        let attributes = ClaimAttributes.read(Self.declare([
            ("org", "app_metadata.org_id"), ("tier", "app_metadata.tier"), ("roles", "app_metadata.roles"),
            ("flag", "app_metadata.flag"), ("nothing", "app_metadata.nothing"), ("object", "app_metadata.object"),
            ("empty", "app_metadata.empty"), ("bools", "app_metadata.bools"), ("missing", "app_metadata.missing"),
            ("deeper", "app_metadata.org_id.more"), ("team", "team"), ("sub", "sub"),
        ]), from: token)
        #expect(attributes.values == [
            "org": ["acme"], "tier": ["3"], "roles": ["admin", "dev", "7"], "team": ["42"], "sub": ["u-1"],
        ])
    }

    @Test func nothingDeclaredOrUnreadableClaimsGiveNone() {
        let declared = Self.declare([("org", "org")])
        #expect(ClaimAttributes.read([], from: Self.token(["org": "acme"])) == .none)
        for token in ["", "a.b", "a.!!!.c", "x." + TokenBase64URL.encode(Data("[1,2]".utf8)) + ".y",
                      "x." + TokenBase64URL.encode(Data("not json".utf8)) + ".y"] {
            #expect(ClaimAttributes.read(declared, from: token) == .none, "\(token)")
        }
    }

    @Test func numbersKeepTheirJSONSpelling() {
        let token = Self.token(["n": .array([.int(-5), .int(0), .int(12345678901)])])
        #expect(ClaimAttributes.read(Self.declare([("n", "n")]), from: token).values == ["n": ["-5", "0", "12345678901"]])
    }
}
