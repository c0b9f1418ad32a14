#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import JWTKit

/// Supabase-shaped HS256 access tokens for `mqtt-authd dev-token` and tests: the claims a
/// Supabase project puts in a user's access token, signed with its legacy JWT secret.
package enum DevToken {
    /// Why a token cannot be minted. Never contains the secret.
    package struct MintError: Error, Sendable, Equatable, CustomStringConvertible {
        package let description: String
    }

    /// A token for `subject`, valid from `now` for `ttl` seconds, that ``TokenVerifier``
    /// accepts when configured with the same secret and issuer. Times are whole seconds.
    package static func mint(
        secret: [UInt8],
        issuer: String,
        subject: String,
        email: String,
        ttl: Int,
        now: Date,
        anonymous: Bool = false
    ) async throws -> String {
        guard secret.count >= TokenVerifierConfiguration.minimumSecretBytes else {
            throw MintError(
                description: "the JWT secret is shorter than \(TokenVerifierConfiguration.minimumSecretBytes) bytes")
        }
        guard ttl > 0 else { throw MintError(description: "ttl must be a positive number of seconds") }
        let issuedAt = Int(now.timeIntervalSince1970.rounded(.down))
        let claims = Claims(
            iss: issuer,
            sub: subject,
            aud: "authenticated",
            exp: issuedAt + ttl,
            iat: issuedAt,
            email: email,
            phone: "",
            app_metadata: .init(provider: anonymous ? "anonymous" : "email", providers: anonymous ? [] : ["email"]),
            user_metadata: [:],
            role: "authenticated",
            aal: "aal1",
            amr: [.init(method: anonymous ? "anonymous" : "password", timestamp: issuedAt)],
            session_id: UUID().uuidString.lowercased(),
            is_anonymous: anonymous
        )
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await keys.sign(claims)
    }

    /// The payload, with Supabase's claim names.
    private struct Claims: JWTPayload {
        struct AppMetadata: Codable {
            let provider: String
            let providers: [String]
        }
        struct AuthenticationMethod: Codable {
            let method: String
            let timestamp: Int
        }

        let iss: String
        let sub: String
        let aud: String
        let exp: Int
        let iat: Int
        let email: String
        let phone: String
        let app_metadata: AppMetadata
        let user_metadata: [String: String]
        let role: String
        let aal: String
        let amr: [AuthenticationMethod]
        let session_id: String
        let is_anonymous: Bool

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }
}
