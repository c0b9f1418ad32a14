import ACLCheckKit
import Foundation
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging
import MQTTAuthCore
import MQTTAuthServer
import NIOCore
import Testing

/// The admin API's reads and its ACL check through the router (README "Admin API").
@Suite("Admin API")
struct AdminRouterTests {
    static let adminKey = "adm_test_admin_key_0123456789"
    static let publishableKey = "pk_test_web_page"

    /// The fixture's rule on `users/%u/#` (config line 33), a subscribe rule and an attribute
    /// rule (lines 36 and 39), a provider that declares the attributes, and an admin key.
    static func fixture() throws -> ServerFixture {
        try ServerFixture(
            extraYAML: """
                    - user: "%"
                      topic: "orgs/%{org}/public/#"
                      permission: subscribe
                    - user: "%"
                      topic: "orgs/%{org}/#"
                      permission: pubsub
                      when: {roles: admin}
                admin_keys:
                  - name: ops
                    key: "\(adminKey)"
                """,
            providersYAML: """
                  - name: app
                    type: supabase
                    project_url: "https://app.supabase.co"
                    jwt_secret: "app-secret-at-least-32-bytes-long-0123"
                    attributes: {org: app_metadata.org_id, roles: app_metadata.roles}
                """,
            apiKeysYAML: """
                  - name: web
                    key: "\(publishableKey)"
                """
        )
    }

    static func request(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, key: String? = adminKey, body: String? = nil
    ) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    static func check(_ client: some TestClientProtocol, _ body: String, key: String? = adminKey) async throws -> TestResponse {
        try await request(client, .post, "/v2/admin/acl/check", key: key, body: body)
    }

    // MARK: Keys

    static let routes: [(HTTPRequest.Method, String, String?)] = [
        (.get, "/v2/admin/users/alice/credentials", nil),
        (.post, "/v2/admin/acl/check", #"{"username":"alice","topic":"users/alice/x","access":"publish"}"#),
        (.get, "/v2/admin/stats", nil),
    ]

    @Test(arguments: 0..<3)
    func everyAdminEndpointNeedsAnAdminKey(_ route: Int) async throws {
        let (method, uri, body) = Self.routes[route]
        let fixture = try Self.fixture()
        try await fixture.application.test(.router) { client in
            let refusals: [(String?, HTTPResponse.Status, String)] = [
                (nil, .unauthorized, "unauthorized"), ("sk_test_unknown", .unauthorized, "unauthorized"),
                (ServerFixture.apiKey, .forbidden, "forbidden"), (Self.publishableKey, .forbidden, "forbidden"),
            ]
            for (key, status, code) in refusals {
                let response = try await Self.request(client, method, uri, key: key, body: body)
                #expect(response.status == status, "\(uri) with \(key ?? "no key")")
                #expect(try response.json()["error"] as? String == code)
            }
            let metrics = try await client.execute(uri: "/metrics", method: .get).text
            #expect(metrics.contains(#"mqtt_authd_http_requests_total{endpoint="admin",status="401"} 2"#), "\(metrics)")
            #expect(metrics.contains(#"mqtt_authd_http_requests_total{endpoint="admin",status="403"} 2"#))
            #expect(!metrics.contains("acl_check"), "a refused check is not an admin action")
        }
    }

    // MARK: Credentials

    @Test func aUsersCredentialsAreListedLiveAndRevokedWithoutSecrets() async throws {
        let fixture = try Self.fixture()
        try await fixture.application.test(.router) { client in
            let (username, password, first) = try await LifecycleRouterTests.exchange(client, fixture)
            fixture.clock.set(fixture.now.addingTimeInterval(60))
            let (_, _, second) = try await LifecycleRouterTests.exchange(client, fixture)
            fixture.clock.set(fixture.now.addingTimeInterval(120))
            #expect(try await LifecycleRouterTests.delete(client, first, key: Self.adminKey).status == .ok)

            let response = try await Self.request(client, .get, "/v2/admin/users/\(username)/credentials")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let body = try response.json()
            #expect(body["username"] as? String == username)
            let listed = try #require(body["credentials"] as? [[String: Any]])
            #expect(listed.count == 2)
            #expect(listed.map { Set($0.keys) } == [
                ["token_id", "provider", "issued_at", "expires_at", "revoked", "revoked_at"],
                ["token_id", "provider", "issued_at", "expires_at", "revoked"],
            ])
            #expect(listed[0]["token_id"] as? String == first)
            #expect(listed[0]["provider"] as? String == "supabase")
            #expect(listed[0]["issued_at"] as? String == "2030-03-17T17:46:40Z")
            #expect(listed[0]["expires_at"] as? String == "2030-03-17T18:46:40Z")
            #expect(listed[0]["revoked"] as? Bool == true)
            #expect(listed[0]["revoked_at"] as? String == "2030-03-17T17:48:40Z")
            #expect(listed[1]["token_id"] as? String == second)
            #expect(listed[1]["issued_at"] as? String == "2030-03-17T17:47:40Z")
            #expect(listed[1]["revoked"] as? Bool == false)
            #expect(!response.text.contains(password))
        }
    }

    @Test func aUserWithoutCredentialsListsNoneAndAnUnknownOrInvalidUserIsRefused() async throws {
        let fixture = try Self.fixture()
        try await fixture.application.test(.router) { client in
            let (username, _, _) = try await LifecycleRouterTests.exchange(client, fixture)
            #expect(try await Self.request(client, .post, "/v2/users/\(username)/terminate").status == .ok)
            fixture.clock.set(fixture.now.addingTimeInterval(3600))
            let empty = try await Self.request(client, .get, "/v2/admin/users/\(username)/credentials")
            #expect(empty.status == .ok)
            #expect((try empty.json()["credentials"] as? [Any])?.isEmpty == true, "expired, revoked credentials are gone")

            let unknown = try await Self.request(client, .get, "/v2/admin/users/nobody/credentials")
            #expect(unknown.status == .notFound)
            #expect(try unknown.json()["error"] as? String == "user_not_found")
            for invalid in ["a+b", String(repeating: "x", count: 129)] {
                let refused = try await Self.request(client, .get, "/v2/admin/users/\(invalid)/credentials")
                #expect(refused.status == .badRequest, "\(invalid)")
                #expect(try refused.json()["error"] as? String == "invalid_request")
            }
        }
    }

    // MARK: ACL check

    /// Each check as the admin API's body and as aclcheck's arguments.
    static let checks: [(body: String, arguments: [String], decision: String, reason: String)] = [
        (#"{"username":"alice","clientid":"c1","topic":"users/alice/inbox","access":"publish"}"#,
         ["--user", "alice", "--clientid", "c1", "--topic", "users/alice/inbox", "--access", "publish"], "allow", "rule"),
        (#"{"username":"alice","topic":"users/bob/inbox","access":"read"}"#,
         ["--user", "alice", "--topic", "users/bob/inbox", "--access", "read"], "deny", "default"),
        (#"{"username":"ops","clientid":null,"topic":"anything/at/all","access":"subscribe"}"#,
         ["--user", "ops", "--topic", "anything/at/all", "--access", "subscribe"], "allow", "superuser"),
        (#"{"username":"alice","topic":"users/alice/+","access":"publish"}"#,
         ["--user", "alice", "--topic", "users/alice/+", "--access", "publish"], "deny", "invalid_topic"),
        (#"{"topic":"users//x","access":"subscribe"}"#, ["--topic", "users//x", "--access", "subscribe"], "deny", "default"),
        (#"{"username":"u1","topic":"orgs/acme/admin","access":"publish","attributes":{"org":"acme","roles":["dev","admin"]}}"#,
         ["--user", "u1", "--topic", "orgs/acme/admin", "--access", "publish", "--attr", "org=acme", "--attr", "roles=dev", "--attr", "roles=admin"],
         "allow", "rule"),
        (#"{"username":"u1","topic":"orgs/acme/admin","access":"publish","attributes":{"org":"acme","roles":"dev"}}"#,
         ["--user", "u1", "--topic", "orgs/acme/admin", "--access", "publish", "--attr", "org=acme", "--attr", "roles=dev"], "deny", "default"),
        (#"{"username":"u1","topic":"orgs/acme/public/#","access":"subscribe","attributes":{"org":["acme"]}}"#,
         ["--user", "u1", "--topic", "orgs/acme/public/#", "--access", "subscribe", "--attr", "org=acme"], "allow", "rule"),
    ]

    @Test(arguments: 0..<8)
    func anACLCheckAnswersWhatAclcheckJSONPrints(_ index: Int) async throws {
        let (body, arguments, decision, reason) = Self.checks[index]
        let fixture = try Self.fixture()
        final class Printed { var data = Data() }
        let printed = Printed()
        let status = ACLCheckCommand.main(
            arguments: ["--config", fixture.configPath, "--json"] + arguments,
            io: ACLCheckIO(readInput: { Data() }, writeOutput: { printed.data.append($0) }, writeError: { printed.data.append($0) })
        )
        #expect(status == (decision == "allow" ? .ok : .denied), "\(String(decoding: printed.data, as: UTF8.self))")
        let output = printed.data
        try await fixture.application.test(.router) { client in
            let aclcheck = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
            let response = try await Self.check(client, body)
            #expect(response.status == .ok, "\(response.text)")
            var answer = try response.json()
            #expect(answer.removeValue(forKey: "decision") as? String == decision)
            let policy = try await client.execute(uri: "/v2/policy", method: .get)
            #expect(answer.removeValue(forKey: "policy_version") as? String == policy.headers[.eTag]?.trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
            #expect(NSDictionary(dictionary: answer).isEqual(to: aclcheck), "\(answer) vs \(aclcheck)")
            #expect(answer["reason"] as? String == reason)
        }
    }

    @Test func theDecidingRulesAreNamedWithFileAndLineAndTheCheckIsAudited() async throws {
        let fixture = try Self.fixture()
        try await fixture.application.test(.router) { client in
            let response = try await Self.check(client, Self.checks[5].body)
            let rules = try #require(try response.json()["rules"] as? [[String: Any]])
            #expect(rules.count == 1)
            #expect(rules.first?["source"] as? String == fixture.configPath + ":39")
            #expect(rules.first?["topic"] as? String == "orgs/%{org}/#")
            let allowed = try await Self.check(client, Self.checks[0].body)
            #expect((try allowed.json()["rules"] as? [[String: Any]])?.first?["source"] as? String == fixture.configPath + ":33")
            let metrics = try await client.execute(uri: "/metrics", method: .get).text
            #expect(metrics.contains(#"mqtt_authd_admin_actions_total{action="acl_check"} 2"#), "\(metrics)")
            #expect(metrics.contains(#"mqtt_authd_http_requests_total{endpoint="admin",status="200"} 2"#))
        }
    }

    /// `strict_subscribe`: the subscribe EMQX, RabbitMQ and VerneMQ get, refused where a deny
    /// rule overlaps the filter; the same check without it is Mosquitto's allow.
    @Test func aStrictCheckNamesTheOverlappingDeny() async throws {
        let fixture = try ServerFixture(extraYAML: secretDenyYAML + """

            admin_keys:
              - name: ops
                key: "\(Self.adminKey)"
            """)
        try await fixture.application.test(.router) { client in
            let body = #"{"username":"alice","topic":"users/alice/#","access":"subscribe""#
            let lenient = try await Self.check(client, body + "}").json()
            #expect(lenient["result"] as? String == "allow")
            let strict = try await Self.check(client, body + #","strict_subscribe":true}"#).json()
            #expect(strict["result"] as? String == "deny")
            #expect(strict["reason"] as? String == "overlaps_deny")
            #expect((strict["rules"] as? [[String: Any]])?.first?["topic"] as? String == "users/%u/secret/#")
        }
    }

    static let badChecks: [(body: String, message: String)] = [
        ("{", "body must be a JSON object"),
        ("[]", "body must be a JSON object"),
        ("", "body must be a JSON object"),
        (#"{"username":"alice","access":"publish"}"#, "topic must be a string"),
        (#"{"username":"alice","topic":7,"access":"publish"}"#, "topic must be a string"),
        (#"{"username":"alice","topic":"a"}"#, "access must be publish, subscribe or read"),
        (#"{"username":"alice","topic":"a","access":"write"}"#, "access must be publish, subscribe or read"),
        (#"{"username":"alice","topic":"a","access":"unsubscribe"}"#, "access must be publish, subscribe or read"),
        (#"{"username":1,"topic":"a","access":"read"}"#, "username must be a string or null"),
        (#"{"clientid":true,"topic":"a","access":"read"}"#, "clientid must be a string or null"),
        (#"{"topic":"a","access":"read","acc":2}"#, "unknown field 'acc'"),
        (#"{"topic":"a","access":"read","attributes":{"org":3}}"#, "attribute 'org' must be a string or an array of strings"),
        (#"{"topic":"a","access":"read","attributes":{"org":["a",3]}}"#, "attribute 'org' must be a string or an array of strings"),
        (#"{"topic":"a","access":"read","attributes":{"org":{"x":"y"}}}"#, "attribute 'org' must be a string or an array of strings"),
        (#"{"topic":"a","access":"read","attributes":["org"]}"#, "attributes must be an object"),
        (#"{"topic":"a","access":"read","attributes":{"Org":"a"}}"#, "attribute name 'Org' must be lower-case letters"),
        (#"{"topic":"a","access":"subscribe","strict_subscribe":"yes"}"#, "strict_subscribe must be true or false"),
    ]

    @Test(arguments: 0..<17)
    func aMalformedCheckIsABadRequestThatSaysWhy(_ index: Int) async throws {
        let (body, message) = Self.badChecks[index]
        let fixture = try Self.fixture()
        try await fixture.application.test(.router) { client in
            let response = try await Self.check(client, body)
            #expect(response.status == .badRequest)
            let answer = try response.json()
            #expect(answer["error"] as? String == "invalid_request")
            #expect((answer["message"] as? String)?.contains(message) == true, "\(answer)")
            let metrics = try await client.execute(uri: "/metrics", method: .get).text
            #expect(!metrics.contains("acl_check"), "a refused check is not audited")
        }
    }

    @Test func aCheckBodyOver64KiBIs413() async throws {
        let fixture = try Self.fixture()
        try await fixture.application.test(.router) { client in
            let padding = String(repeating: "a", count: 64 * 1024)
            let response = try await Self.check(client, #"{"topic":"\#(padding)","access":"read"}"#)
            #expect(response.status == .contentTooLarge)
            #expect(try response.json()["error"] as? String == "payload_too_large")
            let fits = String(repeating: "a", count: 60 * 1024)
            #expect(try await Self.check(client, #"{"topic":"\#(fits)","access":"read"}"#).status == .ok)
        }
    }

    // MARK: Stats

    @Test func statsCountLiveCredentialsAndUsersAndGiveThePolicyVersion() async throws {
        let fixture = try Self.fixture()
        try await fixture.application.test(.router) { client in
            let empty = try await Self.request(client, .get, "/v2/admin/stats")
            #expect(empty.status == .ok)
            let policy = try await client.execute(uri: "/v2/policy", method: .get).json()
            let version = try #require(policy["version"] as? String)
            let counts = try empty.json()
            #expect(Set(counts.keys) == ["active_credentials", "users", "keys", "policy_version"])
            let configured = fixture.parts.runtime.current.configuration.apiKeys.count
            #expect(counts["keys"] as? Int == configured)
            #expect(counts["active_credentials"] as? Int == 0)
            #expect(counts["users"] as? Int == 0)
            #expect(counts["policy_version"] as? String == version)
            _ = try await LifecycleRouterTests.exchange(client, fixture, subject: "alice")
            let (_, _, tokenID) = try await LifecycleRouterTests.exchange(client, fixture, subject: "alice")
            _ = try await LifecycleRouterTests.exchange(client, fixture, subject: "bob")
            #expect(try await LifecycleRouterTests.delete(client, tokenID, key: Self.adminKey).status == .ok)
            let stats = try await Self.request(client, .get, "/v2/admin/stats").json()
            #expect(stats["active_credentials"] as? Int == 2)
            #expect(stats["users"] as? Int == 2)
            #expect(try await Self.request(client, .post, "/v2/admin/keys", body: #"{"name":"stored-one"}"#).status == .created)
            #expect(try await Self.request(client, .get, "/v2/admin/stats").json()["keys"] as? Int == configured + 1)
            let metrics = try await client.execute(uri: "/metrics", method: .get).text
            #expect(metrics.contains(#"mqtt_authd_admin_actions_total{action="stats"} 3"#), "every read is audited too")
            fixture.clock.set(fixture.now.addingTimeInterval(3600))
            #expect(try await Self.request(client, .get, "/v2/admin/stats").json()["active_credentials"] as? Int == 0)
        }
    }

    // MARK: Secrets

    @Test func noPasswordOrKeyReachesTheLogsOrTheMetrics() async throws {
        let fixture = try Self.fixture()
        let logs = InMemoryLogHandler()
        var logger = Logger(label: "mqtt-authd.test") { _ in logs }
        logger.logLevel = .trace
        let application = Application(router: Server.router(fixture.parts), logger: logger)
        let password = try await application.test(.router) { client in
            let (username, password, _) = try await LifecycleRouterTests.exchange(client, fixture)
            #expect(try await Self.request(client, .get, "/v2/admin/users/\(username)/credentials").status == .ok)
            #expect(try await Self.check(client, Self.checks[0].body).status == .ok)
            #expect(try await Self.request(client, .get, "/v2/admin/stats").status == .ok)
            #expect(try await Self.request(client, .get, "/v2/admin/stats", key: ServerFixture.apiKey).status == .forbidden)
            let metrics = try await client.execute(uri: "/metrics", method: .get).text
            for secret in [password, ServerFixture.apiKey, Self.adminKey, Self.publishableKey] {
                #expect(!metrics.contains(secret))
            }
            return password
        }
        let entries = logs.entries
        let audit = try #require(entries.first { $0.metadata["audit.action"] == "acl_check" }, "the check's audit line is captured")
        #expect(audit.metadata["audit.key_name"] == "ops")
        #expect(audit.metadata["audit.target"] == "alice")
        let text = entries.map { "\($0.level) \($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(!password.isEmpty)
        for secret in [password, ServerFixture.apiKey, Self.adminKey, Self.publishableKey] {
            #expect(!text.contains(secret))
        }
    }
}
