import Foundation
import Hummingbird
import HummingbirdTesting
import MQTTAuthCore
import MQTTAuthServer
import MQTTAuthStore
import NIOCore
import Testing

/// Stored API keys through the admin API, and exchanges with them (README "Keys in the store").
@Suite("Stored API keys")
struct KeysRouterTests {
    static let adminKey = LifecycleRouterTests.adminKey

    static func fixture() throws -> ServerFixture {
        try ServerFixture(
            extraYAML: """
                admin_keys:
                  - name: ops
                    key: "\(adminKey)"
                rate_limits:
                  per_api_key: {rate: 1, burst: 2}
                """
        )
    }

    static func call(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String = "/v2/admin/keys", body: String? = nil,
        key: String? = adminKey
    ) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let key { headers[.authorization] = "Bearer \(key)" }
        if body != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    /// Creates a key through the admin API and returns it.
    static func create(_ client: some TestClientProtocol, _ body: String) async throws -> String {
        let response = try await call(client, .post, body: body)
        #expect(response.status == .created)
        return try #require(try response.json()["key"] as? String)
    }

    static func exchange(_ client: some TestClientProtocol, _ fixture: ServerFixture, key: String, origin: String? = nil) async throws -> TestResponse {
        let token = try await fixture.token(ttl: 3 * 86400)
        return try await client.exchange(#"{"provider":"supabase","token":"\#(token)"}"#, key: key, origin: origin)
    }

    @Test func aCreatedKeyIsShownOnceListedWithoutItExchangesAndIsRefusedAfterRevoke() async throws {
        let fixture = try Self.fixture()
        try await fixture.application.test(.router) { client in
            let response = try await Self.call(client, .post, body: #"{"name":"backend-2025","expires_in_days":30}"#)
            #expect(response.status == .created)
            let body = try response.json()
            let key = try #require(body["key"] as? String)
            #expect(key.hasPrefix("sk_live_") && key.count == 51)
            #expect(body["name"] as? String == "backend-2025")
            #expect(body["kind"] as? String == "secret")
            #expect(body["created_at"] as? String == "2030-03-17T17:46:40Z")
            #expect(body["expires_at"] as? String == "2030-04-16T17:46:40Z")

            #expect(try await Self.exchange(client, fixture, key: key).status == .ok)
            // Configured keys keep working beside stored ones.
            #expect(try await Self.exchange(client, fixture, key: ServerFixture.apiKey).status == .ok)

            let list = try await Self.call(client, .get)
            #expect(list.status == .ok)
            #expect(!list.text.contains(key))
            #expect(!list.text.contains(CredentialRules.hash(key).map { String(format: "%02x", $0) }.joined()))
            let keys = try #require(try list.json()["keys"] as? [[String: Any]])
            #expect(keys.count == 1)
            #expect(keys.first?["name"] as? String == "backend-2025")
            #expect(keys.first?["key"] == nil)
            #expect(keys.first?["revoked_at"] == nil)

            let revoked = try await Self.call(client, .delete, "/v2/admin/keys/backend-2025")
            #expect(revoked.status == .ok)
            #expect(try revoked.json()["revoked"] as? Bool == true)
            let refused = try await Self.exchange(client, fixture, key: key)
            #expect(refused.status == .unauthorized)
            #expect(try refused.json()["error"] as? String == "unauthorized")
            #expect(try await Self.call(client, .delete, "/v2/admin/keys/backend-2025").status == .notFound)
            #expect(try await Self.call(client, .delete, "/v2/admin/keys/never-was").status == .notFound)
            let listed = try #require(try await Self.call(client, .get).json()["keys"] as? [[String: Any]])
            #expect(listed.first?["revoked_at"] as? String == "2030-03-17T17:46:40Z")
        }
    }

    @Test func aStoredKeyExpiresByTheClock() async throws {
        let fixture = try Self.fixture()
        try await fixture.application.test(.router) { client in
            let key = try await Self.create(client, #"{"name":"short","expires_in_days":1}"#)
            #expect(try await Self.exchange(client, fixture, key: key).status == .ok)
            fixture.clock.set(fixture.now.addingTimeInterval(86399))
            #expect(try await Self.exchange(client, fixture, key: key).status == .ok)
            fixture.clock.set(fixture.now.addingTimeInterval(86400))
            let refused = try await Self.exchange(client, fixture, key: key)
            #expect(refused.status == .unauthorized)
            #expect(try refused.json()["error"] as? String == "unauthorized")
        }
    }

    @Test func aStoredPublishableKeyIsPublishableEverywhere() async throws {
        let fixture = try Self.fixture()
        try await fixture.application.test(.router) { client in
            let key = try await Self.create(client, #"{"name":"web","kind":"publishable"}"#)
            #expect(key.hasPrefix("pk_live_"))
            let refused = try await Self.exchange(client, fixture, key: key)
            #expect(refused.status == .forbidden)
            #expect(try refused.json()["error"] as? String == "forbidden_origin")
            // And it is no admin key, nor may it revoke.
            #expect(try await Self.call(client, .get, key: key).status == .forbidden)
        }
    }

    @Test func theStoredKeysBucketIsPerAPIKeyAsForConfiguredOnes() async throws {
        let fixture = try Self.fixture()
        try await fixture.application.test(.router) { client in
            let key = try await Self.create(client, #"{"name":"limited"}"#)
            #expect(try await Self.exchange(client, fixture, key: key).status == .ok)
            #expect(try await Self.exchange(client, fixture, key: key).status == .ok)
            let limited = try await Self.exchange(client, fixture, key: key)
            #expect(limited.status == .tooManyRequests)
            #expect(try limited.json()["error"] as? String == "rate_limited")
            // Another key's bucket is its own.
            #expect(try await Self.exchange(client, fixture, key: ServerFixture.apiKey).status == .ok)
        }
    }

    @Test func exchangeKeysAndNoKeyAreRefusedOnTheAdminEndpoints() async throws {
        let fixture = try Self.fixture()
        try await fixture.application.test(.router) { client in
            let stored = try await Self.create(client, #"{"name":"stored"}"#)
            for key in [ServerFixture.apiKey, stored] {
                #expect(try await Self.call(client, .post, body: #"{"name":"x"}"#, key: key).status == .forbidden)
                #expect(try await Self.call(client, .get, key: key).status == .forbidden)
                #expect(try await Self.call(client, .delete, "/v2/admin/keys/stored", key: key).status == .forbidden)
            }
            #expect(try await Self.call(client, .get, key: nil).status == .unauthorized)
            #expect(try await Self.call(client, .post, body: #"{"name":"x"}"#, key: "sk_live_wrong").status == .unauthorized)
            let names = try #require(try await Self.call(client, .get).json()["keys"] as? [[String: Any]]).compactMap { $0["name"] as? String }
            #expect(names == ["stored"], "nothing was created or revoked")
            #expect(try await Self.exchange(client, fixture, key: stored).status == .ok)
        }
    }

    @Test(arguments: [
        "{", "[]", #"{"kind":"secret"}"#, #"{"name":5}"#, #"{"name":""}"#, #"{"name":"a b"}"#, #"{"name":"a/b"}"#,
        #"{"name":"\#(String(repeating: "x", count: 65))"}"#, #"{"name":"x","kind":"admin"}"#, #"{"name":"x","expires_in_days":0}"#,
        #"{"name":"x","expires_in_days":3651}"#, #"{"name":"x","expires_in_days":1.5}"#, #"{"name":"x","expires_in_days":"7"}"#,
    ])
    func badInputIsA400AndCreatesNothing(_ body: String) async throws {
        let fixture = try Self.fixture()
        try await fixture.application.test(.router) { client in
            let response = try await Self.call(client, .post, body: body)
            #expect(response.status == .badRequest)
            #expect(try response.json()["error"] as? String == "invalid_request")
            #expect(try #require(try await Self.call(client, .get).json()["keys"] as? [Any]).isEmpty)
        }
    }

    @Test func anExistingNameIsA409AndTheExistingKeyStays() async throws {
        let fixture = try Self.fixture()
        try await fixture.application.test(.router) { client in
            let first = try await Self.create(client, #"{"name":"backend-2"}"#)
            let again = try await Self.call(client, .post, body: #"{"name":"backend-2","kind":"publishable"}"#)
            #expect(again.status == .conflict)
            #expect(try again.json()["error"] as? String == "key_exists")
            // The configuration's names are taken too: an API key's and an admin key's.
            for name in ["backend", "ops"] {
                #expect(try await Self.call(client, .post, body: #"{"name":"\#(name)"}"#).status == .conflict)
            }
            #expect(try await Self.exchange(client, fixture, key: first).status == .ok)
            #expect(try #require(try await Self.call(client, .get).json()["keys"] as? [Any]).count == 1)
            #expect(try await Self.call(client, .delete, "/v2/admin/keys/" + String(repeating: "x", count: 65)).status == .badRequest)
        }
    }

    @Test func eachKeyActionIsAuditedByNameNeverByKey() async throws {
        let fixture = try Self.fixture()
        try await fixture.application.test(.router) { client in
            let key = try await Self.create(client, #"{"name":"audited"}"#)
            #expect(try await Self.call(client, .delete, "/v2/admin/keys/audited").status == .ok)
            let metrics = try await client.execute(uri: "/metrics", method: .get).text
            #expect(metrics.contains(#"mqtt_authd_admin_actions_total{action="create_key"} 1"#))
            #expect(metrics.contains(#"mqtt_authd_admin_actions_total{action="revoke_key"} 1"#))
            #expect(!metrics.contains(key))
        }
    }
}
