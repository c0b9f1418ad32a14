import Foundation
import Hummingbird
import HummingbirdTesting
import MQTTAuthServer
import NIOCore
import Testing

/// The mosquitto-go-auth HTTP backend protocol, in every shape brokers send it.
@Suite("Broker endpoints")
struct BrokerRouterTests {
    /// Exchanges a token and returns the credential's username and password.
    private func credential(_ client: some TestClientProtocol, _ fixture: ServerFixture) async throws -> (String, String) {
        let token = try await fixture.token()
        let answer = try await client.exchange(#"{"provider":"supabase","token":"\#(token)"}"#).json()
        return (answer["mqtt_username"] as! String, answer["mqtt_password"] as! String)
    }

    private func send(
        _ client: some TestClientProtocol,
        _ path: String,
        _ body: String,
        method: HTTPRequest.Method = .post,
        type: String? = "application/json"
    ) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let type { headers[.contentType] = type }
        return try await client.execute(uri: path, method: method, headers: headers, body: ByteBuffer(string: body))
    }

    @Test func authAcceptsIssuedCredentialsInEveryShape() async throws {
        let fixture = try ServerFixture()
        try await fixture.application.test(.router) { client in
            let (user, password) = try await credential(client, fixture)
            let json = #"{"username":"\#(user)","password":"\#(password)","clientid":"c1"}"#
            for method in [HTTPRequest.Method.post, .get, .put] {
                let response = try await send(client, "/mqtt/auth", json, method: method)
                #expect(response.status == .ok, "\(method)")
                let body = try response.json()
                #expect(body["ok"] as? Bool == true)
                #expect(body["error"] as? String == "")
                #expect(body["expires_at"] as? String == "2030-03-17T18:46:40Z")
            }
            let form = "username=\(user)&password=\(password)&clientid=c1"
            #expect(try await send(client, "/mqtt/auth", form, type: "application/x-www-form-urlencoded").status == .ok)
            // mosquitto-auth-plug: acc=-1, an unescaped client id with '+', no content type.
            let plug = "username=\(user)&password=\(password)&topic=&acc=-1&clientid=dev+1/x"
            #expect(try await send(client, "/mqtt/auth", plug, type: nil).status == .ok)
        }
    }

    @Test func authDeniesWrongCredentials() async throws {
        let fixture = try ServerFixture()
        try await fixture.application.test(.router) { client in
            let (user, password) = try await credential(client, fixture)
            for (name, secret) in [(user, password + "x"), (user, ""), ("nobody", password), (user.uppercased(), password)] {
                let response = try await send(client, "/mqtt/auth", #"{"username":"\#(name)","password":"\#(secret)"}"#)
                #expect(response.status == .forbidden)
                #expect(try response.json()["ok"] as? Bool == false)
                #expect(!response.text.contains(password))
            }
        }
    }

    @Test func superuser() async throws {
        let fixture = try ServerFixture()
        try await fixture.application.test(.router) { client in
            let ops = try await send(client, "/mqtt/superuser", #"{"username":"ops"}"#)
            #expect(ops.status == .ok)
            let alice = try await send(client, "/mqtt/superuser", #"{"username":"alice"}"#)
            #expect(alice.status == .forbidden)
            let plug = try await send(client, "/mqtt/superuser", "username=ops&acc=-1", type: nil)
            #expect(plug.status == .ok)
        }
    }

    @Test(arguments: [
        (##"{"username":"alice","clientid":"c1","topic":"users/alice/x","acc":2}"##, 200),
        (##"{"username":"alice","clientid":"c1","topic":"users/alice/x","acc":"2"}"##, 200),
        (##"{"username":"alice","clientid":"c1","topic":"users/alice/#","acc":4}"##, 200),
        (##"{"username":"alice","clientid":"c1","topic":"users/alice/x","acc":1}"##, 200),
        (##"{"username":"alice","clientid":"c1","topic":"users/bob/x","acc":2}"##, 403),
        (##"{"username":"alice","clientid":"c1","topic":"users/+/x","acc":4}"##, 403),
        (##"{"username":"alice","clientid":"c1","topic":"#","acc":4}"##, 403),
        (##"{"username":"alice","clientid":"c1","topic":"users/alice/#","acc":8}"##, 200),
        (##"{"username":"ops","clientid":"c1","topic":"$SYS/broker/load","acc":1}"##, 200),
        ("username=alice&clientid=c1&topic=users%2Falice%2Fx&acc=2", 200),
        ("username=alice&clientid=c1&topic=users/bob/x&acc=2", 403),
        (##"{"username":"alice","topic":"users/alice/x","acc":3}"##, 400),
        (##"{"username":"alice","topic":"users/alice/x","acc":-1}"##, 400),
        (##"{"username":"alice","topic":"users/alice/x","acc":"write"}"##, 400),
        (##"{"username":"alice","topic":"users/alice/x"}"##, 400),
        (##"{"username":"alice","acc":2}"##, 400),
        (##"{"username":"alice","topic":["x"],"acc":2}"##, 400),
        (##"{"username":"alice","topic":"users/alice/x\u0000","acc":2}"##, 400),
        ("{\"username\":\"alice\",", 400),
        ("[1]", 400),
        ("username=alice&topic=%ZZ&acc=2", 400),
        ("username=alice&topic=%C3%28&acc=2", 400),
    ])
    func acl(_ body: String, _ status: Int) async throws {
        let fixture = try ServerFixture()
        let isForm = !body.hasPrefix("{") && !body.hasPrefix("[")
        let type = isForm ? "application/x-www-form-urlencoded" : "application/json"
        // Through the router, and over a real socket through the event-loop fast path.
        try await fixture.application.test(.router) { client in
            let response = try await send(client, "/mqtt/acl", body, type: type)
            #expect(response.status.code == status, "\(response.text)")
            #expect(try response.json()["ok"] as? Bool == (status == 200))
        }
        try await fixture.server.test(.live) { client in
            let response = try await send(client, "/mqtt/acl", body, type: type)
            #expect(response.status.code == status, "fast path: \(response.text)")
            #expect(try response.json()["ok"] as? Bool == (status == 200))
        }
    }

    @Test func fastPathServesEveryShapeAndKeepsTheRouterForTheRest() async throws {
        let fixture = try ServerFixture(responseBody: "text")
        try await fixture.server.test(.live) { client in
            let (user, password) = try await credential(client, fixture)
            for method in [HTTPRequest.Method.post, .get, .put] {
                let auth = try await send(client, "/mqtt/auth", #"{"username":"\#(user)","password":"\#(password)"}"#, method: method)
                #expect(auth.status == .ok)
                #expect(auth.text == "ok")
            }
            let query = try await client.execute(uri: "/mqtt/superuser?username=ops&acc=-1", method: .get)
            #expect(query.status == .ok)
            let denied = try await send(client, "/mqtt/acl", "username=\(user)&topic=users/other/x&acc=2", type: nil)
            #expect(denied.status == .forbidden)
            let tooLarge = try await send(client, "/mqtt/acl", String(repeating: "a", count: 70 * 1024))
            #expect(tooLarge.status == .contentTooLarge)
            #expect(try await client.execute(uri: "/mqtt/acl", method: .delete).status == .notFound)
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            let metrics = try await client.execute(uri: "/metrics", method: .get).text
            #expect(metrics.contains(#"mqtt_authd_http_requests_total{endpoint="auth",status="200"} 3"#))
            #expect(metrics.contains(#"mqtt_authd_http_requests_total{endpoint="acl",status="413"} 1"#))
        }
    }

    @Test func bodiesThatAreNotUTF8AreBadRequests() async throws {
        let fixture = try ServerFixture()
        var buffer = ByteBuffer(string: #"{"username":"alice","topic":"users/alice/"#)
        buffer.writeBytes([0xFF, 0xFE])
        buffer.writeString(#"","acc":2}"#)
        let json = buffer
        try await fixture.server.test(.live) { client in
            for path in ["/mqtt/acl", "/mqtt/auth", "/v2/tokens/exchange"] {
                let response = try await client.execute(
                    uri: path,
                    method: .post,
                    headers: [.contentType: "application/json", .authorization: "Bearer \(ServerFixture.apiKey)"],
                    body: json
                )
                #expect(response.status == .badRequest, "\(path): \(response.text)")
            }
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
    }

    @Test func textResponseMode() async throws {
        let fixture = try ServerFixture(responseBody: "text")
        try await fixture.application.test(.router) { client in
            let allowed = try await send(client, "/mqtt/acl", #"{"username":"alice","topic":"users/alice/x","acc":2}"#)
            #expect(allowed.status == .ok)
            #expect(allowed.text == "ok")
            let denied = try await send(client, "/mqtt/acl", #"{"username":"alice","topic":"users/bob/x","acc":2}"#)
            #expect(denied.status == .forbidden)
            #expect(denied.text != "ok")
        }
    }

    @Test func oversizedAndHostileBodies() async throws {
        let fixture = try ServerFixture()
        try await fixture.application.test(.router) { client in
            let deep = Array(repeating: "a", count: 100_000).joined(separator: "/")
            let tooLong = try await send(client, "/mqtt/acl", #"{"username":"alice","topic":"\#(deep)","acc":2}"#)
            #expect(tooLong.status == .contentTooLarge)
            let nested = String(repeating: "[", count: 60_000)
            #expect(try await send(client, "/mqtt/acl", nested).status == .badRequest)
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
    }

    @Test func healthAndMetrics() async throws {
        let fixture = try ServerFixture()
        try await fixture.application.test(.router) { client in
            let (user, password) = try await credential(client, fixture)
            _ = try await send(client, "/mqtt/auth", #"{"username":"\#(user)","password":"\#(password)"}"#)
            _ = try await send(client, "/mqtt/acl", #"{"username":"\#(user)","topic":"users/x/y","acc":2}"#)
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            let text = metrics.text
            #expect(text.contains(#"mqtt_authd_http_requests_total{endpoint="auth",status="200"} 1"#))
            #expect(text.contains(#"mqtt_authd_http_requests_total{endpoint="acl",status="403"} 1"#))
            #expect(text.contains(#"mqtt_authd_http_requests_total{endpoint="exchange",status="200"} 1"#))
            #expect(text.contains("mqtt_authd_http_request_duration_seconds"))
            #expect(text.contains("mqtt_authd_active_credentials 1.0"))
            #expect(!text.contains(user) && !text.contains(password))
        }
    }
}
