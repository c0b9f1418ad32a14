@testable import MQTTAuthServer
import Testing
import TestSupport

/// `FormDecoding.values(of:in:)`, which RabbitMQ's checks read, decodes what
/// `FormDecoding.decode` decodes for the names asked: both are compared on random bodies.
@Suite("Form bodies")
struct FormDecodingTests {
    static let names: [StaticString] = ["username", "routing_key", "variable_map.client_id", "a b"]

    @Test func valuesAgreeWithTheDictionary() {
        var generator = SeededGenerator(seed: 7)
        let pieces = ["username", "routing_key", "variable_map.client_id", "a+b", "a%20b", "x", "", "=", "&", "%41", "%2B", "+",
                      "%", "%G0", "%FF", "users.alice.%23", "caf%C3%A9", "ip", "tags"]
        for _ in 0..<5_000 {
            var body = ""
            for _ in 0..<Int.random(in: 0...8, using: &generator) {
                body += pieces.randomElement(using: &generator)!
                if Bool.random(using: &generator) { body += ["=", "&"].randomElement(using: &generator)! }
            }
            let values = try? FormDecoding.values(of: Self.names, in: Array(body.utf8))
            let dictionary = try? FormDecoding.decode(Array(body.utf8))
            // Where the dictionary refuses a body, a bad escape in a field nobody reads does not
            // refuse `values`: nothing to compare.
            guard let dictionary else { continue }
            let expected = Self.names.map { dictionary[$0.description] }
            #expect(values == expected, "\(body)")
        }
    }

    @Test func aBadEscapeInAnAskedValueIsRefused() throws {
        #expect(throws: FormDecoding.Failure.self) { try FormDecoding.values(of: ["username"], in: Array("username=%FF".utf8)) }
        #expect(throws: FormDecoding.Failure.self) { try FormDecoding.values(of: ["username"], in: Array("username=a%".utf8)) }
        #expect(try FormDecoding.values(of: ["username"], in: Array("tags=%FF&username=bob&username=eve".utf8)) == ["bob"])
        #expect(try FormDecoding.values(of: ["routing_key"], in: Array("routing_key=users.%2A.%23".utf8)) == ["users.*.#"])
    }
}
