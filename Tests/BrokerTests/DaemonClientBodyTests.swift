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
                == .allowed(expiresAt: expiry, attributes: UserAttributes(["org": ["acme"], "roles": ["a", "b"]]), tokenID: nil))
        #expect(DaemonClient.allowed(body: Data(#"{"error":"","expires_at":"2030-03-17T17:46:40Z","ok":true}"#.utf8))
                == .allowed(expiresAt: expiry, attributes: .none, tokenID: nil))
        #expect(DaemonClient.allowed(body: Data(#"{"attributes":{"org":"acme"},"expires_at":7,"ok":true}"#.utf8))
                == .allowed(expiresAt: nil, attributes: .none, tokenID: nil))
        #expect(DaemonClient.allowed(body: Data("ok".utf8)) == .allowed(expiresAt: nil, attributes: .none, tokenID: nil))
        #expect(DaemonClient.allowed(body: nil) == .allowed(expiresAt: nil, attributes: .none, tokenID: nil))
        #expect(DaemonClient.allowed(body: Data(#"{"error":"","ok":true,"token_id":"tok_AAAAAAAAAAAAAAAAAAAAAA"}"#.utf8))
                == .allowed(expiresAt: nil, attributes: .none, tokenID: "tok_AAAAAAAAAAAAAAAAAAAAAA"))
        #expect(DaemonClient.allowed(body: Data(#"{"ok":true,"token_id":7}"#.utf8)) == .allowed(expiresAt: nil, attributes: .none, tokenID: nil))
    }
}

@Suite("The plugin's revocation feed and session tokens")
struct RevocationFeedTests {
    @Test func revokedTokensEndExactlyTheClientsThatUsedThem() {
        var tokens = SessionTokens()
        tokens.track(clientID: "phone", owner: 1, tokenID: "tok_a")
        tokens.track(clientID: "laptop", owner: 2, tokenID: "tok_a")
        tokens.track(clientID: "sensor", owner: 3, tokenID: "tok_b")
        // "laptop" reconnects on a fresh credential: the old one's revocation spares it.
        tokens.track(clientID: "laptop", owner: 4, tokenID: "tok_c")
        tokens.forget(clientID: "laptop", owner: 2)
        #expect(tokens.revoke(["tok_a", "tok_unknown"]) == ["phone"])
        #expect(tokens.revoke(["tok_a"]) == [], "ended once")
        #expect(tokens.count == 2)
        tokens.forget(clientID: "sensor", owner: 3)
        #expect(tokens.revoke(["tok_b", "tok_c"]) == ["laptop"])
        #expect(tokens.count == 0)
    }

    @Test func theCursorMovesOnlyOnAnAnswer() throws {
        let daemon = DaemonClient(options: try PluginOptions([("url", "http://127.0.0.1:1"), ("acl", "http")]))
        defer { daemon.shutdown() }
        let feed = RevocationFeed(daemon: daemon)
        feed.record(.unavailable(reason: "down"))
        #expect(feed.take() == [])
        #expect(feed.takeFailure() == "down")
        #expect(feed.takeFailure() == nil, "reported once")
        feed.record(.revoked(tokenIDs: ["tok_a", "tok_b"], cursor: 1000, complete: true))
        feed.record(.revoked(tokenIDs: ["tok_c"], cursor: 1001, complete: true))
        #expect(feed.take() == ["tok_a", "tok_b", "tok_c"])
        #expect(feed.take() == [])
    }
}
