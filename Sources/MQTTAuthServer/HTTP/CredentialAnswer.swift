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

    static func response(_ credential: IssuedCredential, provider: String, subject: String, now: Date) -> Response {
        JSONResponse.make(.ok, Body(
            mqtt_username: credential.username,
            mqtt_password: credential.password,
            expires_at: ISO8601.string(credential.expiresAt),
            expires_in: max(0, Int(credential.expiresAt.timeIntervalSince(now).rounded(.down))),
            provider: provider,
            user_id: subject,
            token_id: credential.tokenID,
            refresh_recommended_at: ISO8601.string(refreshRecommendedAt(credential))
        ))
    }

    /// What a refusal of the store becomes: a blocked user gets 403 with `Retry-After`.
    static func error(_ refusal: IssueRefusal, now: Date) -> APIError {
        switch refusal {
        case .blocked(let until):
            let seconds = max(1, Int(until.timeIntervalSince(now).rounded(.up)))
            return APIError(status: .forbidden, code: "user_blocked",
                            message: "this user was terminated and may not get credentials until \(ISO8601.string(until))",
                            headers: [.retryAfter: String(seconds)])
        case .replacedCredentialGone:
            return .notRefreshable
        }
    }
}
