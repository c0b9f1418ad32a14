import Crypto
import Foundation
import MQTTAuthServer
import Testing

/// `api_keys[].kind`, and what the runtime says of a key (README "API keys").
@Suite("API key kinds")
struct APIKeyKindConfigurationTests {
    static let digest = String(repeating: "ab", count: 32)

    @Test func kindsComeFromKindThenThePrefixThenDefaultToSecret() throws {
        let configuration = try ConfigFixture.load(
            """
            api_keys:
              - {name: backend, key: "sk_live_1"}
              - {name: web, key: "pk_live_1"}
              - {name: hashed, key_sha256: "\(Self.digest)"}
              - {name: hashed-web, key_sha256: "\(Self.digest)", kind: publishable}
              - {name: plain, key: "legacy-key"}
              - {name: plain-web, key: "legacy-web", kind: publishable}
              - {name: agreeing, key: "pk_live_2", kind: publishable}
            providers: []
            """
        )
        #expect(configuration.apiKeys.map(\.name) == ["backend", "web", "hashed", "hashed-web", "plain", "plain-web", "agreeing"])
        #expect(configuration.apiKeys.map(\.kind) == [.secret, .publishable, .secret, .publishable, .secret, .publishable, .publishable])
    }

    @Test func aKindThatContradictsThePrefixIsAnErrorOnItsLine() throws {
        let found = try ConfigFixture.errors(
            """
            api_keys:
              - name: web
                key: "pk_live_1"
                kind: secret
              - name: backend
                kind: publishable
                key: "sk_live_1"
              - name: odd
                key: "sk_live_2"
                kind: public
            providers: []
            """
        )
        #expect(found == [
            "4: api key 'web' says kind: secret, but its key starts with pk_, which is publishable",
            "6: api key 'backend' says kind: publishable, but its key starts with sk_, which is secret",
            "10: kind must be secret or publishable, not 'public'",
        ])
        #expect(!found.joined().contains("pk_live_1") && !found.joined().contains("sk_live_1"), "no message quotes a key")
    }

    @Test func theRuntimeTellsAKeysNameAndKind() throws {
        let configuration = try ConfigFixture.load(
            """
            api_keys:
              - {name: backend, key: "sk_live_1"}
              - {name: web, key: "pk_live_1"}
            providers: []
            """
        )
        let runtime = Server.runtime(configuration)
        func digest(_ key: String) -> [UInt8] { Array(SHA256.hash(data: Data(key.utf8))) }
        #expect(runtime.apiKey(forDigest: digest("sk_live_1"))?.name == "backend")
        #expect(runtime.apiKey(forDigest: digest("sk_live_1"))?.kind == .secret)
        #expect(runtime.apiKey(forDigest: digest("pk_live_1"))?.name == "web")
        #expect(runtime.apiKey(forDigest: digest("pk_live_1"))?.kind == .publishable)
        #expect(runtime.apiKey(forDigest: digest("pk_live_2")) == nil)
        #expect(runtime.apiKeyName(forDigest: digest("pk_live_1")) == "web")
    }
}
