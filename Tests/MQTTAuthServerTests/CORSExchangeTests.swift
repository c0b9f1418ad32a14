import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
@testable import MQTTAuthServer
import MQTTAuthStore
import NIOCore
import Testing

/// Publishable keys and CORS on the exchange (README "From a browser", docs/architecture.md
/// §6.6), through the router. The fixture's clock stands still, so buckets never refill.
@Suite("Token exchange from a browser")
struct CORSExchangeTests {
    static let publishableKey = "pk_test_browser_key"
    static let origin = "https://app.example.com"
    static let keys = """
          - name: web
            key: "\(publishableKey)"
        """

    func fixture(_ extraYAML: String = "") throws -> ServerFixture {
        try ServerFixture(
            extraYAML: """
                cors:
                  allowed_origins: ["\(Self.origin)", "http://localhost:5173"]
                \(extraYAML)
                """,
            apiKeysYAML: Self.keys
        )
    }

    /// `OPTIONS /v2/tokens/exchange` with `origin` as its `Origin` (none for nil).
    func preflight(_ client: some TestClientProtocol, origin: String?) async throws -> TestResponse {
        var headers: HTTPFields = [.accessControlRequestMethod: "POST", .accessControlRequestHeaders: "authorization, content-type"]
        if let origin { headers[.origin] = origin }
        return try await client.execute(uri: "/v2/tokens/exchange", method: .options, headers: headers)
    }

    /// The CORS headers of a response, by lower-case name: `access-control-*` and `vary`.
    static func corsHeaders(_ response: TestResponse) -> [String: String] {
        var found: [String: String] = [:]
        for field in response.headers {
            let name = field.name.canonicalName
            if name.hasPrefix("access-control-") || name == "vary" { found[name] = field.value }
        }
        return found
    }

    @Test func preflightFromAnAllowedOriginIsAnswered() async throws {
        let fixture = try fixture()
        try await fixture.application.test(.router) { client in
            for origin in [Self.origin, "http://localhost:5173"] {
                let response = try await preflight(client, origin: origin)
                #expect(response.status == .noContent)
                #expect(Self.corsHeaders(response) == [
                    "access-control-allow-origin": origin,
                    "access-control-allow-methods": "POST, OPTIONS",
                    "access-control-allow-headers": "authorization, content-type",
                    "access-control-max-age": "600",
                    "vary": "Origin",
                ])
                #expect(response.body.readableBytes == 0)
            }
        }
    }

    @Test(arguments: [nil, "https://evil.example.com", "https://app.example.com/", "https://APP.example.com", "http://app.example.com", "https://app.example.com:8443", "null"] as [String?])
    func preflightFromAnyOtherOriginIs403WithoutCORSHeaders(_ origin: String?) async throws {
        let fixture = try fixture()
        try await fixture.application.test(.router) { client in
            let response = try await preflight(client, origin: origin)
            #expect(response.status == .forbidden)
            #expect(Self.corsHeaders(response).isEmpty)
            #expect(try response.json()["error"] as? String == "forbidden_origin")
        }
    }

    @Test func preflightWithoutAllowedOriginsIsRefused() async throws {
        let fixture = try ServerFixture(apiKeysYAML: Self.keys)
        try await fixture.application.test(.router) { client in
            let response = try await preflight(client, origin: Self.origin)
            #expect(response.status == .forbidden)
            #expect(Self.corsHeaders(response).isEmpty)
        }
    }

    @Test func publishableKeyFromAnAllowedOriginIssuesWithCORSHeaders() async throws {
        let fixture = try fixture()
        let token = try await fixture.token()
        try await fixture.application.test(.router) { client in
            let response = try await client.exchange(#"{"provider":"supabase","token":"\#(token)"}"#, key: Self.publishableKey, origin: Self.origin)
            #expect(response.status == .ok, "\(response.text)")
            #expect(Self.corsHeaders(response) == ["access-control-allow-origin": Self.origin, "vary": "Origin"])
            let body = try response.json()
            #expect(body["mqtt_username"] as? String == "8d0fd2b3-9ca7-4c35-a4d4-6d6a1f6b1e11")
            #expect((body["mqtt_password"] as? String)?.isEmpty == false)
            #expect(fixture.parts.store.activeCount(now: fixture.now) == 1)
        }
    }

    @Test(arguments: [nil, "https://evil.example.com", "https://app.example.com.evil.com", "https://app.example.com, https://evil.example.com"] as [String?])
    func publishableKeyFromAnotherOrMissingOriginIs403AndCountsAgainstTheAddress(_ origin: String?) async throws {
        let fixture = try fixture("rate_limits: {per_client_ip: {rate: 0.5, burst: 2}}")
        let token = try await fixture.token()
        let body = #"{"provider":"supabase","token":"\#(token)"}"#
        try await fixture.application.test(.router) { client in
            for _ in 0..<2 {
                let response = try await client.exchange(body, key: Self.publishableKey, origin: origin)
                #expect(response.status == .forbidden)
                #expect(Self.corsHeaders(response).isEmpty)
                let answer = try response.json()
                #expect(answer["error"] as? String == "forbidden_origin")
                #expect((answer["message"] as? String)?.contains("publishable") == true)
                #expect(!response.text.contains(Self.publishableKey))
            }
            #expect(fixture.parts.store.activeCount(now: fixture.now) == 0)
            // Both refusals took from the address's bucket: now even a good exchange waits.
            let next = try await client.exchange(body)
            #expect(next.status == .tooManyRequests)
        }
    }

    @Test func refusedPreflightsDoNotCountAgainstTheAddress() async throws {
        let fixture = try fixture("rate_limits: {per_client_ip: {rate: 0.5, burst: 1}}")
        let token = try await fixture.token()
        try await fixture.application.test(.router) { client in
            for _ in 0..<3 {
                #expect(try await preflight(client, origin: "https://evil.example.com").status == .forbidden)
            }
            let response = try await client.exchange(#"{"provider":"supabase","token":"\#(token)"}"#, key: Self.publishableKey, origin: Self.origin)
            #expect(response.status == .ok)
        }
    }

    /// Errors to an allowed origin carry the CORS headers too, so that the page can read them.
    @Test func errorsToAnAllowedOriginCarryCORSHeaders() async throws {
        let fixture = try fixture("rate_limits: {per_client_ip: {rate: 0.5, burst: 2}}")
        try await fixture.application.test(.router) { client in
            let forged = try await client.exchange(#"{"provider":"supabase","token":"garbage"}"#, key: Self.publishableKey, origin: Self.origin)
            #expect(forged.status == .unauthorized)
            #expect(try forged.json()["error"] as? String == "invalid_token")
            #expect(Self.corsHeaders(forged) == ["access-control-allow-origin": Self.origin, "vary": "Origin"])
            let wrongKey = try await client.exchange(#"{"provider":"supabase","token":"x"}"#, key: "pk_test_guess", origin: Self.origin)
            #expect(wrongKey.status == .unauthorized)
            #expect(Self.corsHeaders(wrongKey)["access-control-allow-origin"] == Self.origin)
            let limited = try await client.exchange(#"{"provider":"supabase","token":"x"}"#, key: Self.publishableKey, origin: Self.origin)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] != nil)
            #expect(Self.corsHeaders(limited) == ["access-control-allow-origin": Self.origin, "vary": "Origin"])
        }
    }

    @Test(arguments: [
        (nil, false), ("https://evil.example.com", false), ("https://app.example.com", true),
    ] as [(String?, Bool)])
    func secretKeyNeedsNoOrigin(_ origin: String?, _ corsHeaders: Bool) async throws {
        let fixture = try fixture()
        let token = try await fixture.token()
        try await fixture.application.test(.router) { client in
            let response = try await client.exchange(#"{"provider":"supabase","token":"\#(token)"}"#, origin: origin)
            #expect(response.status == .ok)
            #expect(Self.corsHeaders(response).isEmpty == !corsHeaders)
            #expect(Self.corsHeaders(response)["access-control-allow-origin"] == (corsHeaders ? origin : nil))
        }
    }

    /// SIGHUP's reload swaps the origins with everything else.
    @Test func reloadReplacesTheAllowedOrigins() async throws {
        let fixture = try fixture()
        let yaml = try String(contentsOfFile: fixture.configPath, encoding: .utf8)
            .replacingOccurrences(of: #"["\#(Self.origin)", "http://localhost:5173"]"#, with: #"["https://new.example.com"]"#)
        try yaml.write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        let reload = ReloadService(path: fixture.configPath, runtime: fixture.parts.runtime, logger: Logger(label: "test")) {
            Server.runtime($0, now: { fixture.now })
        }
        #expect(reload.reload())
        let token = try await fixture.token()
        try await fixture.application.test(.router) { client in
            #expect(try await preflight(client, origin: "https://new.example.com").status == .noContent)
            #expect(try await preflight(client, origin: Self.origin).status == .forbidden)
            let old = try await client.exchange(#"{"provider":"supabase","token":"\#(token)"}"#, key: Self.publishableKey, origin: Self.origin)
            #expect(old.status == .forbidden)
        }
    }
}
