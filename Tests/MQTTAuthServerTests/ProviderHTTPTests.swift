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
import TestSupport
import Testing

/// Every provider type configured from YAML, with its keys served by a real HTTP server on
/// 127.0.0.1: a JWKS URL, Clerk's default JWKS under its Frontend API, and OIDC discovery.
/// Tokens are signed by jwt-kit in the shapes the IdPs issue.
@Suite("Provider types over HTTP", .timeLimit(.minutes(1)))
struct ProviderHTTPTests {
    static let rsaKid = "idp-rsa-1"
    static let rsa = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let ecKid = "idp-ec-1"
    static let ec = P256.Signing.PrivateKey()
    static let quiet = Logger(label: "provider-http-test", factory: { _ in SwiftLogNoOpLogHandler() })

    static let jwks: Data = {
        let primitives = try! rsa.publicKey.getKeyPrimitives()
        let point = ec.publicKey.rawRepresentation
        let keys: [[String: String]] = [
            ["kty": "RSA", "use": "sig", "kid": rsaKid, "n": base64URL(primitives.modulus), "e": base64URL(primitives.publicExponent)],
            ["kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": ecKid,
             "x": base64URL(point.prefix(32)), "y": base64URL(point.suffix(32))],
        ]
        return try! JSONSerialization.data(withJSONObject: ["keys": keys])
    }()

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The union of the claims the IdPs below put in their tokens; nil claims are left out.
    struct Claims: JWTPayload {
        struct Firebase: Codable { var sign_in_provider: String }
        var iss: String
        var sub: String
        var aud: [String]?
        var exp: Int
        var iat: Int
        var nbf: Int?
        var azp: String?
        var auth_time: Int?
        var email: String?
        var email_verified: Bool?
        var firebase: Firebase?
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    static func sign(_ claims: Claims, es256: Bool = false) async throws -> String {
        let keys = JWTKeyCollection()
        if es256 {
            await keys.add(ecdsa: try ES256PrivateKey(backing: ec), kid: JWKIdentifier(string: ecKid))
            return try await keys.sign(claims, kid: JWKIdentifier(string: ecKid))
        }
        await keys.add(rsa: try Insecure.RSA.PrivateKey(backing: rsa), digestAlgorithm: .sha256, kid: JWKIdentifier(string: rsaKid))
        return try await keys.sign(claims, kid: JWKIdentifier(string: rsaKid))
    }

    /// What the server saw: hits per path, and whether the slow discovery document was answered.
    final class Seen: Sendable {
        let hits = Mutex<[String: Int]>([:])
        let slowAnswered = Mutex(false)
        func count(_ path: String) -> Int { hits.withLock { $0[path, default: 0] } }
    }

    @Sendable static func json(_ data: Data) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    @Sendable static func discovery(_ issuer: String, _ jwksURI: String) -> Data {
        try! JSONSerialization.data(withJSONObject: ["issuer": issuer, "jwks_uri": jwksURI, "response_types_supported": ["code"]])
    }

    /// Serves the JWKS and discovery documents, good and bad, on a port the system picks.
    static func withServer<T: Sendable>(_ body: @Sendable (_ base: String, _ seen: Seen) async throws -> T) async throws -> T {
        let seen = Seen()
        let base = Mutex("")
        let router = Router()
        router.get("/jwks") { request, _ -> Response in
            seen.hits.withLock { $0[request.uri.path, default: 0] += 1 }
            return Self.json(jwks)
        }
        router.get("/clerk/.well-known/jwks.json") { request, _ -> Response in
            seen.hits.withLock { $0[request.uri.path, default: 0] += 1 }
            return Self.json(jwks)
        }
        router.get("/oidc/.well-known/openid-configuration") { request, _ -> Response in
            seen.hits.withLock { $0[request.uri.path, default: 0] += 1 }
            let root = base.withLock { $0 }
            return Self.json(Self.discovery(root + "/oidc", root + "/jwks"))
        }
        router.get("/liar/.well-known/openid-configuration") { _, _ in
            Self.json(Self.discovery("https://accounts.example.com", base.withLock { $0 } + "/jwks"))
        }
        router.get("/plain/.well-known/openid-configuration") { _, _ in
            Self.json(Self.discovery(base.withLock { $0 } + "/plain", "http://keys.example.com/jwks"))
        }
        router.get("/malformed/.well-known/openid-configuration") { _, _ in
            Self.json(Data(#"{"issuer": 5, "jwks_uri": []}"#.utf8))
        }
        router.get("/huge/.well-known/openid-configuration") { _, _ in
            Self.json(Data(repeating: UInt8(ascii: " "), count: OIDCDiscoverySource.maximumDocumentSize + 1))
        }
        router.get("/slow/.well-known/openid-configuration") { _, _ -> Response in
            try? await Task.sleep(for: .seconds(5))
            seen.slowAnswered.withLock { $0 = true }
            return Self.json(Self.discovery(base.withLock { $0 } + "/slow", base.withLock { $0 } + "/jwks"))
        }
        return try await LoopbackHTTPServer.run(router) { root in
            base.withLock { $0 = root }
            return try await body(root, seen)
        }
    }

    /// The daemon's runtime for `providers` (YAML entries of `providers:`, two-space indented).
    static func runtime(_ providers: String) throws -> Runtime {
        let folder = try TempFolder("providers")
        let path = folder.path + "/mqtt-authd.yml"
        try "providers:\n\(providers)\n".write(toFile: path, atomically: true, encoding: .utf8)
        return Server.runtime(try DaemonConfiguration.load(path: path), logger: quiet)
    }

    static func verify(_ runtime: Runtime, _ provider: String, _ token: String) async -> Result<VerifiedToken, TokenError> {
        do {
            return .success(try await runtime.providers[provider]!.verifier.verify(token))
        } catch {
            return .failure(error)
        }
    }

    @Test func everyTypeVerifiesWithKeysServedOverHTTP() async throws {
        try await Self.withServer { base, seen in
            let runtime = try Self.runtime("""
                  - {name: firebase, type: firebase, project_id: demo-mqtt, jwks_url: "\(base)/jwks"}
                  - {name: auth0, type: auth0, domain: tenant.eu.auth0.com, audience: "https://mqtt.example.com", jwks_url: "\(base)/jwks"}
                  - {name: clerk, type: clerk, frontend_api: "\(base)/clerk", authorized_parties: ["https://app.example.com"]}
                  - {name: oidc, type: oidc, issuer: "\(base)/oidc", audience: mqtt}
                """)
            let now = Int(Date().timeIntervalSince1970)
            let tokens: [(String, String)] = [
                ("firebase", try await Self.sign(Claims(
                    iss: "https://securetoken.google.com/demo-mqtt", sub: "Xq3c9H7mZkT2vYb1nR4sLw8pJd52", aud: ["demo-mqtt"],
                    exp: now + 3600, iat: now, auth_time: now - 60, email: "ada@example.com", email_verified: true,
                    firebase: .init(sign_in_provider: "password")))),
                ("auth0", try await Self.sign(Claims(
                    iss: "https://tenant.eu.auth0.com/", sub: "auth0|64f1c2d3e4b5a6978812abcd",
                    aud: ["https://mqtt.example.com", "https://tenant.eu.auth0.com/userinfo"], exp: now + 86400, iat: now))),
                ("clerk", try await Self.sign(Claims(
                    iss: base + "/clerk", sub: "user_2NNEqL2nrIRdJ194ndJqAHwEfxC", exp: now + 60, iat: now, nbf: now - 10,
                    azp: "https://app.example.com"))),
                ("oidc", try await Self.sign(Claims(
                    iss: base + "/oidc", sub: "7c1e4b7a-2f0d-4f7e-9a55-0f8a0a3c6e21", aud: ["mqtt"], exp: now + 300, iat: now), es256: true)),
            ]
            for (provider, token) in tokens {
                let outcome = await Self.verify(runtime, provider, token)
                #expect((try? outcome.get()) != nil, "\(provider): \(outcome)")
                // Checked again against the cached keys.
                #expect((try? await Self.verify(runtime, provider, token).get()) != nil, "\(provider)")
            }
            #expect(seen.count("/jwks") == 3, "firebase, auth0 and oidc each fetched their keys once")
            #expect(seen.count("/clerk/.well-known/jwks.json") == 1)
            #expect(seen.count("/oidc/.well-known/openid-configuration") == 1)
            // The auth0 token is not the firebase provider's, nor the clerk token the oidc one's.
            #expect(await Self.verify(runtime, "firebase", tokens[1].1) == .failure(.issuer))
            #expect(await Self.verify(runtime, "oidc", tokens[2].1) == .failure(.issuer))
            #expect(await Self.verify(runtime, "clerk", tokens[3].1) == .failure(.algorithmNotAllowed))
        }
    }

    /// A discovery document that names another issuer, a non-https `jwks_uri`, malformed JSON or
    /// an oversized body: the token is refused, and nothing else is affected.
    @Test(arguments: ["liar", "plain", "malformed", "huge"])
    func aBadDiscoveryDocumentRefusesTheToken(_ path: String) async throws {
        try await Self.withServer { base, _ in
            let runtime = try Self.runtime("""
                  - {name: bad, type: oidc, issuer: "\(base)/\(path)", audience: mqtt}
                """)
            let now = Int(Date().timeIntervalSince1970)
            let token = try await Self.sign(Claims(iss: base + "/" + path, sub: "u-1", aud: ["mqtt"], exp: now + 300, iat: now), es256: true)
            #expect(await Self.verify(runtime, "bad", token) == .failure(.keysUnavailable))
        }
    }

    /// A discovery server that does not answer: the token is refused when the fetch's time is
    /// up, before the document arrives, and another provider's tokens are checked meanwhile.
    @Test func aSlowDiscoveryDocumentRefusesWithinTheFetchBoundAndBlocksNoOtherProvider() async throws {
        try await Self.withServer { base, seen in
            let slow = OIDCDiscoverySource(
                url: base + "/slow/.well-known/openid-configuration", issuer: base + "/slow", client: .shared,
                timeout: .milliseconds(300), logger: Self.quiet)
            let slowVerifier = TokenVerifier(
                configuration: .oidc(issuer: base + "/slow", audience: "mqtt"), jwksSource: slow)
            let runtime = try Self.runtime("""
                  - {name: oidc, type: oidc, issuer: "\(base)/oidc", audience: mqtt}
                """)
            let now = Int(Date().timeIntervalSince1970)
            let slowToken = try await Self.sign(Claims(iss: base + "/slow", sub: "u-1", aud: ["mqtt"], exp: now + 300, iat: now), es256: true)
            let goodToken = try await Self.sign(Claims(iss: base + "/oidc", sub: "u-2", aud: ["mqtt"], exp: now + 300, iat: now), es256: true)
            let good = Task { try? await Self.verify(runtime, "oidc", goodToken).get() }
            #expect(await slowVerifier.outcomeOfVerifying(slowToken) == .keysUnavailable)
            // Read at once: the document comes 5 s after it was asked for, the refusal after 0.3 s.
            #expect(!seen.slowAnswered.withLock { $0 }, "refused before the document came")
            #expect(await good.value?.subject == "u-2")
        }
    }

    @Test func aDiscoveryDocumentIsFetchedAtMostOnceAMinuteForUnknownKids() async throws {
        try await Self.withServer { base, seen in
            let runtime = try Self.runtime("""
                  - {name: oidc, type: oidc, issuer: "\(base)/oidc", audience: mqtt}
                """)
            let now = Int(Date().timeIntervalSince1970)
            let good = try await Self.sign(Claims(iss: base + "/oidc", sub: "u-2", aud: ["mqtt"], exp: now + 300, iat: now), es256: true)
            #expect((try? await Self.verify(runtime, "oidc", good).get()) != nil)
            let keys = JWTKeyCollection()
            await keys.add(ecdsa: ES256PrivateKey(), kid: "rotated-in")
            let claims = Claims(iss: base + "/oidc", sub: "u-3", aud: ["mqtt"], exp: now + 300, iat: now)
            let unknown = try await keys.sign(claims, kid: "rotated-in")
            for _ in 0..<5 {
                #expect(await Self.verify(runtime, "oidc", unknown) == .failure(.unknownKeyID))
            }
            #expect(seen.count("/oidc/.well-known/openid-configuration") == 1,
                    "within a minute of the last fetch, unknown kids are refused without fetching again")
        }
    }
}


extension TokenVerifier {
    /// The error a token is refused with, or nil.
    func outcomeOfVerifying(_ token: String) async -> TokenError? {
        do {
            _ = try await verify(token)
            return nil
        } catch {
            return error
        }
    }
}
