import Foundation
import Hummingbird
import HummingbirdTesting
@testable import MQTTAuthServer
import Testing

/// `rate_limits`: token buckets on the exchange, per API key and, for failures, per client
/// address. The fixture's clock stands still, so buckets do not refill during a test.
@Suite("Exchange rate limits")
struct RateLimitTests {
    static let body = #"{"provider":"supabase","token":"TOKEN"}"#

    @Test func failuresFromAnAddressAreLimitedThenEverythingFromItIsRefused() async throws {
        let fixture = try ServerFixture(extraYAML: "rate_limits: {per_client_ip: {rate: 0.5, burst: 3}}")
        let token = try await fixture.token()
        try await fixture.application.test(.router) { client in
            #expect(try await client.exchange(Self.body, key: "sk_guess_1").status == .unauthorized)
            #expect(try await client.exchange(#"{"provider":"supabase","token":"forged"}"#).status == .unauthorized)
            #expect(try await client.exchange("{not json").status == .badRequest)
            let refused = try await client.exchange(#"{"provider":"supabase","token":"\#(token)"}"#)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter] == "2")
            #expect(try refused.json()["error"] as? String == "rate_limited")
        }
    }

    @Test func successesDoNotCountAgainstTheAddress() async throws {
        let fixture = try ServerFixture(extraYAML: "rate_limits: {per_client_ip: {rate: 1, burst: 1}, per_api_key: {rate: 0, burst: 1}}")
        try await fixture.application.test(.router) { client in
            for index in 0..<5 {
                let token = try await fixture.token(subject: "8d0fd2b3-9ca7-4c35-a4d4-6d6a1f6b1e1\(index)")
                #expect(try await client.exchange(#"{"provider":"supabase","token":"\#(token)"}"#).status == .ok)
            }
            #expect(try await client.exchange(Self.body, key: "sk_guess").status == .unauthorized)
            #expect(try await client.exchange(Self.body, key: "sk_guess").status == .tooManyRequests)
        }
    }

    @Test func eachAPIKeyHasItsBucket() async throws {
        let fixture = try ServerFixture(extraYAML: "rate_limits: {per_api_key: {rate: 1, burst: 2}}")
        try await fixture.application.test(.router) { client in
            for index in 0..<2 {
                let token = try await fixture.token(subject: "8d0fd2b3-9ca7-4c35-a4d4-6d6a1f6b1e2\(index)")
                #expect(try await client.exchange(#"{"provider":"supabase","token":"\#(token)"}"#).status == .ok)
            }
            let third = try await client.exchange(#"{"provider":"supabase","token":"\#(try await fixture.token())"}"#)
            #expect(third.status == .tooManyRequests)
            #expect(third.headers[.retryAfter] == "1")
            // A wrong key is still just unauthorised: the bucket belongs to the backend's key.
            #expect(try await client.exchange(Self.body, key: "sk_other").status == .unauthorized)
        }
    }

    @Test func zeroRateTurnsALimitOff() async throws {
        let fixture = try ServerFixture(extraYAML: "rate_limits: {per_client_ip: {rate: 0, burst: 1}}")
        try await fixture.application.test(.router) { client in
            for _ in 0..<40 {
                let status = try await client.exchange(Self.body, key: "sk_guess").status
                #expect(status == .unauthorized)
            }
        }
    }

    @Test(arguments: [
        ("rate_limits: {per_api_key: {rate: -1, burst: 2}}", "rate_limits.per_api_key.rate must be a number"),
        ("rate_limits: {per_client_ip: {rate: 2}}", "rate_limits.per_client_ip needs both rate and burst"),
        ("rate_limits: {per_client_ip: {rate: 2, burst: 0}}", "rate_limits.per_client_ip.burst must be a whole number"),
        ("rate_limits: {per_user: {rate: 2, burst: 2}}", "per_user"),
    ])
    func badSettingsNameTheirLine(_ yaml: String, _ message: String) throws {
        #expect {
            try ServerFixture(extraYAML: yaml)
        } throws: { error in
            let text = "\(error)"
            return text.contains(message) && text.contains("mqtt-authd.yml:")
        }
    }

    @Test func bucketsRefillAndFullOnesAreForgotten() {
        let limiter = RateLimiter(sweepThreshold: 4)
        let limit = RateLimiter.Limit(rate: 2, burst: 2)
        #expect(limiter.take("a", limit: limit, now: 0) == nil)
        #expect(limiter.take("a", limit: limit, now: 0) == nil)
        #expect(limiter.take("a", limit: limit, now: 0) == 1)
        #expect(limiter.check("a", limit: limit, now: 0.25) == 1)
        #expect(limiter.take("a", limit: limit, now: 0.5) == nil)
        for index in 0..<100 { _ = limiter.take("client-\(index)", limit: limit, now: 10 + Double(index)) }
        #expect(limiter.count <= 5, "buckets that refilled are swept before new ones are added")
    }
}
