import Foundation
import Hummingbird
import HummingbirdTesting
import MQTTAuthServer
import Testing

/// EMQX 5's HTTP authn and authz hooks.
@Suite("EMQX endpoints")
struct EMQXRouterTests {
    private func post(_ client: some TestClientProtocol, _ path: String, _ json: String) async throws -> TestResponse {
        try await client.execute(uri: path, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: json))
    }

    @Test func authn() async throws {
        let fixture = try ServerFixture()
        try await fixture.application.test(.router) { client in
            let token = try await fixture.token()
            let issued = try await client.exchange(#"{"provider":"supabase","token":"\#(token)"}"#).json()
            let user = issued["mqtt_username"] as! String
            let password = issued["mqtt_password"] as! String

            let allowed = try await post(client, "/emqx/authn", #"{"username":"\#(user)","password":"\#(password)","clientid":"c1"}"#)
            #expect(allowed.status == .ok)
            #expect(try allowed.json()["result"] as? String == "allow")
            #expect(try allowed.json()["is_superuser"] as? Bool == false)

            let denied = try await post(client, "/emqx/authn", #"{"username":"\#(user)","password":"nope","clientid":"c1"}"#)
            #expect(denied.status == .ok)
            #expect(try denied.json()["result"] as? String == "deny")

            let malformed = try await post(client, "/emqx/authn", #"{"username":"\#(user)"}"#)
            #expect(malformed.status == .badRequest)
            #expect(try malformed.json()["result"] as? String == "deny")
        }
    }

    @Test(arguments: [
        (##"{"username":"alice","clientid":"c1","topic":"users/alice/x","action":"publish"}"##, 200, "allow"),
        (##"{"username":"alice","clientid":"c1","topic":"users/alice/#","action":"subscribe"}"##, 200, "allow"),
        (##"{"username":"alice","clientid":"c1","topic":"users/bob/x","action":"publish"}"##, 200, "deny"),
        (##"{"username":"alice","clientid":"c1","topic":"#","action":"subscribe"}"##, 200, "deny"),
        (##"{"username":"ops","clientid":"c1","topic":"$SYS/#","action":"subscribe"}"##, 200, "allow"),
        (##"{"username":"alice","clientid":"c1","topic":"users/alice/x","action":"all"}"##, 400, "deny"),
        (##"{"username":"alice","clientid":"c1","action":"publish"}"##, 400, "deny"),
        ("not json", 400, "deny"),
    ])
    func authz(_ body: String, _ status: Int, _ result: String) async throws {
        let fixture = try ServerFixture()
        try await fixture.application.test(.router) { client in
            let response = try await post(client, "/emqx/authz", body)
            #expect(response.status.code == status, "\(response.text)")
            #expect(try response.json()["result"] as? String == result)
        }
    }

    /// EMQX checks a subscription but not each delivered message: a filter that partly overlaps
    /// a deny rule would let the denied topics through, so it is refused (README
    /// "Subscriptions on other brokers"), where `/mqtt/acl` allows it.
    @Test func aSubscribeThatPartlyOverlapsADenyIsRefused() async throws {
        let fixture = try ServerFixture(extraYAML: secretDenyYAML)
        try await fixture.application.test(.router) { client in
            for (filter, result) in [("users/alice/#", "deny"), ("users/alice/+/x", "deny"), ("users/alice/public/#", "allow"), ("users/alice/x", "allow")] {
                let response = try await post(client, "/emqx/authz", #"{"username":"alice","clientid":"c1","topic":"\#(filter)","action":"subscribe"}"#)
                #expect(try response.json()["result"] as? String == result, "\(filter)")
            }
            let goAuth = try await client.execute(
                uri: "/mqtt/acl", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"username":"alice","clientid":"c1","topic":"users/alice/#","acc":4}"#))
            #expect(goAuth.status == .ok)
        }
    }

    /// A successful authn says when the credential expires, so that EMQX 5.8 ends the session then.
    @Test func authnCarriesTheExpiry() async throws {
        let fixture = try ServerFixture()
        try await fixture.application.test(.router) { client in
            let (user, password, expiresAt) = try await issueCredential(client, fixture)
            let json = try await post(client, "/emqx/authn", #"{"username":"\#(user)","password":"\#(password)","clientid":"c1"}"#).json()
            let expiry = try #require(ISO8601DateFormatter().date(from: expiresAt))
            #expect(json["expire_at"] as? Int == Int(expiry.timeIntervalSince1970))
            #expect(json["result"] as? String == "allow")
        }
    }
}
