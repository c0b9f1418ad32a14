import Foundation
import MQTTAuthServer
import NIOCore
import Testing
import TestSupport

/// `BrokerRequest.fromFlatJSON` must give exactly what `JSONDecoder` gives, or decline.
@Suite("Broker requests: flat JSON reader")
struct FlatJSONTests {
    private func flat(_ text: String) -> BrokerRequest? {
        BrokerRequest.fromFlatJSON(ByteBuffer(string: text).readableBytesView)
    }

    private func foundation(_ text: String) -> BrokerRequest? {
        try? BrokerRequest.fromJSON(Data(text.utf8))
    }

    @Test(arguments: [
        #"{"username":"8d0fd2b3-9ca7-4c35-a4d4-6d6a1f6b1e11","password":"pw","clientid":"c1"}"#,
        #"{"username":"u","clientid":"c1","topic":"users/u/x","acc":2}"#,
        #"{"username":"u","topic":"a/b","clientid":"c","acc":"4"}"#,
        #"{"username":"ops"}"#,
        " \r\n\t{ \"username\" : \"u\" ,\n\"acc\"\t:\t1 } \n",
        #"{}"#,
        #"{"username":null,"password":null,"acc":null}"#,
        #"{"username":123,"password":-45,"clientid":0,"topic":"t","acc":8}"#,
        #"{"acc":"+2"}"#,
        #"{"extra":"x","other":17,"more":null,"username":"u"}"#,
        #"{"extra":false,"other":true,"username":"u"}"#,
        #"{"username":"","password":"","topic":""}"#,
        #"{"username":"~!@#$%^&*()_+{}[]:;'<>,.?/ "}"#,
        #"{"Username":"u","USERNAME":"v"}"#,
        #"{"acc":-1,"username":"auth-plug"}"#,
        "{\"acc\":\(Int.max)}",
        "{\"acc\":\(Int.min + 1)}",
    ])
    func readsWhatJSONDecoderReads(_ body: String) throws {
        let expected = try #require(foundation(body))
        #expect(flat(body) == expected)
    }

    @Test func readsTheFields() throws {
        let request = try #require(flat(#"{"username":"u","password":7,"clientid":"c","topic":"a/b","acc":"2"}"#))
        #expect(request.username == "u")
        #expect(request.password == "7")
        #expect(request.clientID == "c")
        #expect(request.topic == "a/b")
        #expect(request.acc == 2)
    }

    @Test(arguments: [
        // Valid JSON outside the subset: JSONDecoder decides.
        #"{"username":"caf\u00e9"}"#,
        #"{"username":"a\"b"}"#,
        #"{"username":"a\/b"}"#,
        "{\"username\":\"café\"}",
        "{\"username\":\"a\u{7F}\"}",
        #"{"acc":2.0}"#,
        #"{"acc":2e0}"#,
        #"{"acc":2E0}"#,
        #"{"acc":-0}"#,
        #"{"acc":99999999999999999999}"#,
        #"{"username":true}"#,
        #"{"extra":[1,2]}"#,
        #"{"extra":{"a":1}}"#,
        #"{"username":"a","username":"b"}"#,
        #"{"acc":1,"acc":1}"#,
        #"{"acc":"two"}"#,
        #"{"acc":" 2"}"#,
        "\u{FEFF}{\"username\":\"u\"}",
        // Not JSON at all.
        "",
        " ",
        "{",
        "}",
        #"{"username":"u""#,
        #"{"username":"u",}"#,
        #"{,"username":"u"}"#,
        #"{"username" "u"}"#,
        #"{"username":"u"} x"#,
        #"{"username":"u"}{}"#,
        #"{"acc":01}"#,
        #"{"acc":-}"#,
        #"{"acc":+1}"#,
        #"{"acc":nul}"#,
        #"{"acc":nulll}"#,
        #"{'username':'u'}"#,
        #"{username:"u"}"#,
        "{\"username\":\"a\tb\"}",
        "{\"username\":\"a\u{0}b\"}",
        #"["username","u"]"#,
        #""username""#,
        "null",
    ])
    func declinesEverythingElse(_ body: String) {
        #expect(flat(body) == nil)
    }

    /// The same requests either way through `parse`, and JSONDecoder's error where it refuses.
    @Test func parseFallsBackToJSONDecoder() throws {
        let escaped = try BrokerRequest.parse(body: ByteBuffer(string: #"{"username":"caf\u00e9","acc":"2"}"#), contentType: "application/json", query: nil)
        #expect(escaped.username == "café")
        #expect(escaped.acc == 2)
        #expect(throws: APIError.self) {
            try BrokerRequest.parse(body: ByteBuffer(string: #"{"acc":"two"}"#), contentType: "application/json", query: nil)
        }
        #expect(throws: APIError.self) {
            try BrokerRequest.parse(body: ByteBuffer(string: "{\"username\":\"a\\u0000b\"}"), contentType: "application/json", query: nil)
        }
    }

    /// Random bodies, near the subset and across its edges (seeded): whenever the flat reader
    /// answers, JSONDecoder gives the same request.
    @Test func agreesWithJSONDecoderOnGeneratedBodies() {
        var random = SeededGenerator(seed: 0x4A53_4F4E)
        let keys = ["username", "password", "clientid", "topic", "acc", "extra", "user", ""]
        let values = [
            #""u""#, #""users/u/x""#, #""""#, "0", "1", "2", "-1", "42", "null", #""2""#, #""x2""#,
            "1.5", "1e3", "-0", "true", "[]", "{}", #""a\nb""#, #""é""#, "007", "99999999999999999999",
        ]
        let spaces = ["", " ", "\n", "\t ", "\r\n"]
        var read = 0, declinedButValid = 0, disagreements: [String] = []
        for _ in 0..<20_000 {
            var members: [String] = []
            for _ in 0..<Int.random(in: 0...6, using: &random) {
                let space = { spaces.randomElement(using: &random)! }
                members.append(space() + "\"" + keys.randomElement(using: &random)! + "\"" + space() + ":" + space() + values.randomElement(using: &random)! + space())
            }
            var body = Array(("{" + members.joined(separator: ",") + "}").utf8)
            // Now and then a byte changed, dropped or added.
            if Int.random(in: 0..<4, using: &random) == 0, !body.isEmpty {
                let at = Int.random(in: 0..<body.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: body[at] = Array(#"{}[]:,"\ 0-.e"#.utf8).randomElement(using: &random)!
                case 1: body.remove(at: at)
                default: body.insert(UInt8.random(in: 0...255, using: &random), at: at)
                }
            }
            let fast = BrokerRequest.fromFlatJSON(ByteBuffer(bytes: body).readableBytesView)
            let reference = try? BrokerRequest.fromJSON(Data(body))
            if let fast {
                read += 1
                if fast != reference { disagreements.append(String(decoding: body, as: UTF8.self)) }
            } else if reference != nil {
                declinedButValid += 1
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
        // Both sides of the subset's edge were reached.
        #expect(read > 2_000)
        #expect(declinedButValid > 500)
    }
}
