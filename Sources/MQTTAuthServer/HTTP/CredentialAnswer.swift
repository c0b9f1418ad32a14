import Foundation
import Hummingbird
import MQTTAuthStore

/// The answer of an exchange and of a refresh (CloudSignal-compatible, README "Exchange"):
/// the credential, its `token_id`, and when a client should refresh it.
enum CredentialAnswer {
    private struct Body: Encodable {
        // swiftlint:disable identifier_name
        let mqtt_username: String
        let mqtt_password: String
        let expires_at: String
        let expires_in: Int
        let provider: String
        let user_id: String
        let token_id: String
        let refresh_recommended_at: String
        // swiftlint:enable identifier_name
    }

    /// At 90% of the credential's lifetime, rounded down to a second: when CloudSignal's SDK
    /// refreshes (docs/architecture.md §4.9).
    static func refreshRecommendedAt(_ credential: IssuedCredential) -> Date {
        let lifetime = credential.expiresAt.timeIntervalSince(credential.issuedAt)
        return Date(timeIntervalSince1970: (credential.issuedAt.timeIntervalSince1970 + lifetime * 0.9).rounded(.down))
    }

    static func response(_ issued: CredentialFlows.Issued) -> Response {
        let credential = issued.credential
        return JSONResponse.make(.ok, Body(
            mqtt_username: credential.username,
            mqtt_password: credential.password,
            expires_at: ISO8601.string(credential.expiresAt),
            expires_in: max(0, Int(credential.expiresAt.timeIntervalSince(issued.at).rounded(.down))),
            provider: issued.provider,
            user_id: issued.subject,
            token_id: credential.tokenID,
            refresh_recommended_at: ISO8601.string(refreshRecommendedAt(credential))
        ))
    }
}

extension APIError {
    /// How HTTP says what a flow refused (docs/architecture.md §6).
    init(_ error: FlowError, now: Date) {
        switch error {
        case .providerNotFound(let message):
            self.init(status: .notFound, code: "provider_not_found", message: message)
        case .refused(let code, let message):
            self.init(status: .unauthorized, code: code, message: message)
        case .notRefreshable:
            self = .notRefreshable
        case .blocked(let until):
            let seconds = max(1, Int(until.timeIntervalSince(now).rounded(.up)))
            self.init(status: .forbidden, code: "user_blocked",
                      message: "this user was terminated and may not get credentials until \(ISO8601.string(until))",
                      headers: [.retryAfter: String(seconds)])
        case .unavailable:
            self.init(status: .serviceUnavailable, code: "unavailable", message: "the credential store is unavailable; try again")
        }
    }
}
