@testable import MQTTAuthServer
import NIOCore
import Testing
import TestSupport

/// VerneMQ's publish body through `FlatJSON` must give what `JSONDecoder` gives, or decline,
/// on the bodies VerneMQ sends and on random variations of them.
@Suite("VerneMQ publish bodies: flat JSON reader")
struct VerneMQFlatJSONTests {
    private func both(_ text: String) -> (flat: VerneMQAdapter.Publish?, reference: VerneMQAdapter.Publish?) {
        let body = ByteBuffer(string: text)
        return (VerneMQAdapter.Publish.fromFlatJSON(body), VerneMQAdapter.Publish.fromJSON(body))
    }

    @Test(arguments: [
        #"{"username":"alice","mountpoint":"","client_id":"c1","qos":1,"topic":"users/alice/x","payload":"aGVsbG8=","retain":false}"#,
        #"{"username":null,"mountpoint":"","client_id":"c1","qos":0,"topic":"a","payload":"","retain":true}"#,
        #"{"topic":"a"}"#,
    ])
    func vernemqsBodiesAreReadAlike(_ text: String) {
        let (flat, reference) = both(text)
        #expect(flat != nil)
        #expect(flat == reference)
    }

    @Test(arguments: [
        #"{"username":"a","topic":"t","properties":{}}"#,  // MQTT 5: a nested object
        #"{"username":7,"topic":"t"}"#,
        #"{"username":true,"topic":"t"}"#,
        #"{"topic":"t\u00e9"}"#,
        #"{"topic":"a","topic":"b"}"#,
    ])
    func outsideTheSubsetIsDeclined(_ text: String) {
        #expect(both(text).flat == nil)
    }

    @Test func randomBodiesAgreeOrDecline() {
        var random = SeededGenerator(seed: 11)
        let keys = ["username", "mountpoint", "client_id", "topic", "qos", "payload", "retain", "properties", "x"]
        let values = [#""alice""#, #""""#, #""users/a/b""#, "null", "true", "false", "0", "1", "-3", "1.5", "[]", "{}",
                      #""a\"b""#, #""é""#, "007", "99999999999999999999"]
        var read = 0, disagreements: [String] = []
        for _ in 0..<20_000 {
            var members: [String] = []
            for _ in 0..<Int.random(in: 0...7, using: &random) {
                members.append("\"" + keys.randomElement(using: &random)! + "\":" + values.randomElement(using: &random)!)
            }
            var body = Array(("{" + members.joined(separator: ",") + "}").utf8)
            if Int.random(in: 0..<4, using: &random) == 0, !body.isEmpty {
                body[Int.random(in: 0..<body.count, using: &random)] = Array(#"{}[]:,"\ 0-.e"#.utf8).randomElement(using: &random)!
            }
            let buffer = ByteBuffer(bytes: body)
            guard let flat = VerneMQAdapter.Publish.fromFlatJSON(buffer) else { continue }
            read += 1
            if flat != VerneMQAdapter.Publish.fromJSON(buffer) { disagreements.append(String(decoding: body, as: UTF8.self)) }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
        #expect(read > 1_000)
    }
}
