import AsyncHTTPClient
import Crypto
import CryptoExtras
import Foundation
import Hummingbird
import JWTKit
import Logging
import MQTTAuthCore
import MQTTAuthServer
import NIOCore
import Synchronization
import Testing

/// `JWKSHTTPSource` against a real Hummingbird server on 127.0.0.1, and end to end through
/// `TokenVerifier`: an RS256 token whose key is only reachable over HTTP.
@Suite("JWKS over HTTP", .timeLimit(.minutes(1)))
struct JWKSHTTPSourceTests {
    static let issuer = "https://abcdefghijklmnop.supabase.co/auth/v1"
    static let kid = "rsa-http-1"
    /// One 2048-bit key for the suite: generating it is slow in a debug build.
    static let rsa = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let ecKid = "ec-http-1"
    static let ec = P256.Signing.PrivateKey()
    /// Set once `/slow` has answered (only `slowServerTimesOut` asks it).
    static let slowAnswered = Mutex(false)
    static let quiet = Logger(label: "jwks-http-test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Built once: the bytes served must be the bytes expected.
    static let jwks: Data = {
        let primitives = try! rsa.publicKey.getKeyPrimitives()
        let key: [String: String] = [
            "kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
            "n": base64URL(primitives.modulus), "e": base64URL(primitives.publicExponent),
        ]
        let point = ec.publicKey.rawRepresentation
        let ecKey: [String: String] = [
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": ecKid,
            "x": base64URL(point.prefix(32)), "y": base64URL(point.suffix(32)),
        ]
        return try! JSONSerialization.data(withJSONObject: ["keys": [key, ecKey]])
    }()

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A Supabase-shaped access token, signed by jwt-kit (the core tests sign by hand).
    struct Claims: JWTPayload {
        let iss: String, sub: String, aud: String, exp: Int, iat: Int, role: String, email: String
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    static func rs256Token(now: Date) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(
            rsa: try Insecure.RSA.PrivateKey(backing: rsa), digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
        let iat = Int(now.timeIntervalSince1970)
        let claims = Claims(
            iss: issuer, sub: "8d5e4c2a-1b3f-4a6e-9c7d-0e1f2a3b4c5d", aud: "authenticated",
            exp: iat + 3600, iat: iat, role: "authenticated", email: "http@example.com")
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid))
    }

    static func es256Token(now: Date) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: try ES256PrivateKey(backing: ec), kid: JWKIdentifier(string: ecKid))
        let iat = Int(now.timeIntervalSince1970)
        let claims = Claims(
            iss: issuer, sub: "0c7e8f2a-5b1d-4e3f-8a9b-1c2d3e4f5a6b", aud: "authenticated",
            exp: iat + 3600, iat: iat, role: "authenticated", email: "ec@example.com")
        return try await keys.sign(claims, kid: JWKIdentifier(string: ecKid))
    }

    /// Serves the JWKS (counting requests), a 404, an oversized body and a slow answer, on
    /// 127.0.0.1 with a port the system picks; stops the server when `body` returns.
    static func withServer<T: Sendable>(
        _ body: @Sendable (_ baseURL: String, _ hits: @escaping @Sendable () -> Int) async throws -> T
    ) async throws -> T {
        let hits = Mutex(0)
        let router = Router()
        router.get("/auth/v1/.well-known/jwks.json") { _, _ -> Response in
            hits.withLock { $0 += 1 }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: jwks)))
        }
        router.get("/missing") { _, _ in Response(status: .notFound) }
        router.get("/huge") { _, _ in
            Response(
                status: .ok, body: .init(byteBuffer: ByteBuffer(repeating: UInt8(ascii: " "), count: (1 << 20) + 1)))
        }
        router.get("/slow") { _, _ -> Response in
            try? await Task.sleep(for: .seconds(2))
            slowAnswered.withLock { $0 = true }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: jwks)))
        }
        return try await LoopbackHTTPServer.run(router) { root in
            try await body(root, { hits.withLock { $0 } })
        }
    }

    /// An RS256 and an ES256 token, each checked against keys only reachable over HTTP.
    @Test(arguments: ["RS256", "ES256"])
    func tokenVerifiesEndToEndWithKeysFetchedOverHTTP(_ algorithm: String) async throws {
        let now = Date()
        let token = algorithm == "RS256" ? try await Self.rs256Token(now: now) : try await Self.es256Token(now: now)
        let subject = algorithm == "RS256" ? "8d5e4c2a-1b3f-4a6e-9c7d-0e1f2a3b4c5d" : "0c7e8f2a-5b1d-4e3f-8a9b-1c2d3e4f5a6b"
        try await Self.withServer { baseURL, hits in
            let source = JWKSHTTPSource(
                url: baseURL + "/auth/v1/.well-known/jwks.json", client: .shared, timeout: .seconds(5))
            let verifier = TokenVerifier(
                configuration: TokenVerifierConfiguration(issuer: Self.issuer), jwksSource: source, now: { now })
            let verified = try await verifier.verify(token)
            #expect(verified.subject == subject)
            _ = try await verifier.verify(token)
            #expect(hits() == 1, "the second token is checked against the cached keys")
        }
    }

    @Test func fetchReturnsTheDocument() async throws {
        try await Self.withServer { baseURL, _ in
            let source = JWKSHTTPSource(url: URL(string: baseURL + "/auth/v1/.well-known/jwks.json")!, client: .shared)
            let document = try await source.fetchJWKS()
            #expect(document == Self.jwks)
        }
    }

    @Test func non2xxStatusIsAnError() async throws {
        try await Self.withServer { baseURL, _ in
            let source = JWKSHTTPSource(url: baseURL + "/missing", client: .shared)
            await #expect {
                _ = try await source.fetchJWKS()
            } throws: { error in
                String(describing: error) == "JWKS request answered HTTP 404"
            }
            let verifier = TokenVerifier(
                configuration: TokenVerifierConfiguration(issuer: Self.issuer), jwksSource: source)
            await #expect(throws: TokenError.keysUnavailable) {
                _ = try await verifier.verify(try await Self.rs256Token(now: Date()))
            }
        }
    }

    @Test func bodyOverOneMebibyteIsAnError() async throws {
        try await Self.withServer { baseURL, _ in
            let source = JWKSHTTPSource(url: baseURL + "/huge", client: .shared)
            await #expect {
                _ = try await source.fetchJWKS()
            } throws: { error in
                String(describing: error) == "JWKS response is larger than 1048576 bytes"
            }
        }
    }

    @Test func slowServerTimesOut() async throws {
        try await Self.withServer { baseURL, _ in
            let source = JWKSHTTPSource(url: baseURL + "/slow", client: .shared, timeout: .milliseconds(300))
            await #expect(throws: (any Error).self) { _ = try await source.fetchJWKS() }
            // Given up at the deadline, not when the server finally answered.
            #expect(!Self.slowAnswered.withLock { $0 })
        }
    }

    @Test func unreachableServerIsAnError() async throws {
        // A port that was just free: bind, read it, close.
        let port = try await Self.withServer { baseURL, _ in baseURL }
        let source = JWKSHTTPSource(url: port + "/auth/v1/.well-known/jwks.json", client: .shared, timeout: .seconds(1))
        await #expect(throws: (any Error).self) { _ = try await source.fetchJWKS() }
    }
}
