import Foundation
import Hummingbird
import HummingbirdTesting
import MQTTAuthCore
import MQTTAuthServer
import NIOCore
import Testing

/// `GET /v2/policy` (the central policy for `synced` brokers) and the guard in front of the
/// broker endpoints: `broker.allow_from` and the broker token. Over real sockets, so that the
/// event-loop fast path and the router both answer, with a real client address.
@Suite("Central policy and broker guard")
struct PolicyAndGuardTests {
    func get(_ client: some TestClientProtocol, _ path: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await client.execute(uri: path, method: .get, headers: headers)
    }

    func post(_ client: some TestClientProtocol, _ path: String, _ body: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    @Test func thePolicyIsServedWithItsVersionAndNotResentUnchanged() async throws {
        let fixture = try ServerFixture()
        try await fixture.server.test(.live) { client in
            let response = try await get(client, "/v2/policy")
            #expect(response.status == .ok)
            let etag = try #require(response.headers[.eTag])
            let (version, configuration) = try ACLPolicy.decode(Data(response.body.readableBytesView))
            #expect(etag == "\"\(version)\"")
            #expect(configuration.superusers == ["ops"])
            #expect(configuration.rules.map(\.description) == ["user % topic users/%u/# pubsub"])
            let again = try await get(client, "/v2/policy", headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            #expect(again.body.readableBytes == 0)
            let stale = try await get(client, "/v2/policy", headers: [.ifNoneMatch: "\"0000\""])
            #expect(stale.status == .ok)
        }
    }

    @Test func theVersionFollowsTheRulesNotTheFiles() async throws {
        let first = try ServerFixture()
        let second = try ServerFixture()
        #expect(first.parts.runtime.current.policy.version == second.parts.runtime.current.policy.version)
        #expect(first.configPath != second.configPath)
        let other = try ServerFixture(extraYAML: "    - {user: \"ops\", topic: \"#\", permission: subscribe}")
        #expect(other.parts.runtime.current.policy.version != first.parts.runtime.current.policy.version)
    }

    @Test func addressesOutsideAllowFromAreRefusedEverywhereButTheExchange() async throws {
        let fixture = try ServerFixture(brokerYAML: #"  allow_from: ["10.0.0.0/8", "fd00::/8"]"#)
        try await fixture.server.test(.live) { client in
            for (path, body) in [("/mqtt/auth", #"{"username":"a","password":"b"}"#), ("/mqtt/acl", #"{"username":"a","topic":"t","acc":1}"#),
                                 ("/mqtt/superuser", #"{"username":"ops"}"#), ("/emqx/authn", #"{"username":"a","password":"b"}"#)] {
                let response = try await post(client, path, body)
                #expect(response.status == .forbidden, "\(path)")
                #expect(response.text.contains("allow_from"), "\(path): \(response.text)")
            }
            #expect(try await get(client, "/v2/policy").status == .forbidden)
            // The exchange is for app backends, not brokers: the guard does not apply to it.
            let token = try await fixture.token()
            #expect(try await client.exchange(#"{"provider":"supabase","token":"\#(token)"}"#).status == .ok)
        }
        let loopback = try ServerFixture(brokerYAML: #"  allow_from: ["127.0.0.0/8", "::1"]"#)
        try await loopback.server.test(.live) { client in
            let superuser = try await post(client, "/mqtt/superuser", #"{"username":"ops"}"#)
            #expect(superuser.status == .ok)
            #expect(try await get(client, "/v2/policy").status == .ok)
        }
    }

    @Test func theBrokerTokenIsRequiredWhenSet() async throws {
        let token = "broker-token-0123456789abcdef"
        let fixture = try ServerFixture(brokerYAML: "  token: \"\(token)\"")
        try await fixture.server.test(.live) { client in
            let right: HTTPFields = [.authorization: "Bearer \(token)"]
            let open = try await post(client, "/mqtt/superuser", #"{"username":"ops"}"#)
            #expect(open.status == .unauthorized)
            for headers: HTTPFields in [[:], [.authorization: "Bearer wrong-token-0123456789abc"], [.authorization: token]] {
                #expect(try await post(client, "/mqtt/superuser", #"{"username":"ops"}"#, headers: headers).status == .unauthorized)
                #expect(try await post(client, "/mqtt/acl", #"{"username":"a","topic":"users/a/x","acc":1}"#, headers: headers).status == .unauthorized)
                #expect(try await get(client, "/v2/policy", headers: headers).status == .unauthorized)
            }
            #expect(try await post(client, "/mqtt/superuser", #"{"username":"ops"}"#, headers: right).status == .ok)
            #expect(try await post(client, "/mqtt/acl", #"{"username":"a","topic":"users/a/x","acc":1}"#, headers: right).status == .ok)
            #expect(try await get(client, "/v2/policy", headers: right).status == .ok)
        }
    }

    @Test(arguments: [
        (#"  allow_from: ["10.0.0.0/33"]"#, "prefix length outside 0...32"),
        (#"  allow_from: ["example.com"]"#, "is not an IPv4 or IPv6 address"),
        (#"  token: "short""#, "at least 16 characters"),
        (#"  token_sha256: "abc""#, "64 hex digits"),
    ])
    func badGuardSettingsNameTheirLine(_ yaml: String, _ expected: String) throws {
        #expect {
            _ = try ServerFixture(brokerYAML: yaml)
        } throws: { error in
            "\(error)".contains(expected) && "\(error)".contains("mqtt-authd.yml:")
        }
    }
}
