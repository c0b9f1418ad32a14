import Foundation
import MQTTAuthCore
import MQTTAuthPluginCore
import NIOCore
import Testing

/// The JSON bodies the plugin sends to the daemon.
@Suite("Plugin request bodies")
struct DaemonClientBodyTests {
    private func decoded(_ body: ByteBuffer) throws -> [String: String] {
        try #require(JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: String])
    }

    @Test func slashesStayPlainSoTheDaemonReadsTheBodyWithoutJSONDecoder() throws {
        let fields = ["topic": "users/8d0fd2b3/telemetry/#", "clientid": "site/7", "acc": "2", "username": "8d0fd2b3"]
        let body = DaemonClient.json(fields)
        let text = String(buffer: body)
        // The daemon's flat reader takes printable ASCII strings without escapes.
        #expect(!text.contains("\\"))
        #expect(text.utf8.allSatisfy { (0x20...0x7E).contains($0) })
        #expect(try decoded(body) == fields)
    }

    @Test func quotesBackslashesAndControlCharactersAreStillEscaped() throws {
        let fields = ["username": #"a"b\c"#, "password": "line\nbreak\u{1}", "clientid": "café"]
        let body = DaemonClient.json(fields)
        #expect(try decoded(body) == fields)
        #expect(!String(buffer: body).contains("\n"))
    }
}

@Suite("The plugin reads /mqtt/auth answers")
struct DaemonAuthAnswerTests {
    @Test func expiryAndAttributesAreReadAndOddValuesIgnored() {
        let expiry = Date(timeIntervalSince1970: 1_900_000_000)
        #expect(DaemonClient.allowed(body: Data(#"{"attributes":{"org":["acme"],"roles":["a","b"]},"error":"","expires_at":"2030-03-17T17:46:40Z","ok":true}"#.utf8))
                == .allowed(expiresAt: expiry, attributes: UserAttributes(["org": ["acme"], "roles": ["a", "b"]])))
        #expect(DaemonClient.allowed(body: Data(#"{"error":"","expires_at":"2030-03-17T17:46:40Z","ok":true}"#.utf8))
                == .allowed(expiresAt: expiry, attributes: .none))
        #expect(DaemonClient.allowed(body: Data(#"{"attributes":{"org":"acme"},"expires_at":7,"ok":true}"#.utf8))
                == .allowed(expiresAt: nil, attributes: .none))
        #expect(DaemonClient.allowed(body: Data("ok".utf8)) == .allowed(expiresAt: nil, attributes: .none))
        #expect(DaemonClient.allowed(body: nil) == .allowed(expiresAt: nil, attributes: .none))
    }
}
