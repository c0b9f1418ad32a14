/// Why no MQTT username can be derived from a token. The description is safe to show to the
/// caller of the token exchange: it never quotes the subject or the email.
package struct CredentialError: Error, Sendable, Equatable, CustomStringConvertible {
    package let description: String

    package init(_ description: String) {
        self.description = description
    }

    static let missingEmail = CredentialError("the token has no email, and this provider derives usernames from it")
    static let unverifiedEmail = CredentialError(
        "the token's email is not verified (email_verified is not true), and this provider derives usernames from it")

    /// `sub` cannot be used as a username; `reason` says why, e.g. "contains '/'".
    static func invalidSubject(_ reason: String) -> CredentialError {
        CredentialError("the token's sub cannot be an MQTT username: it \(reason)")
    }

    /// A username handed to the store breaks the rules of `CredentialRules.validateUsername`.
    static func invalidUsername(_ reason: String) -> CredentialError {
        CredentialError("not a valid MQTT username: it \(reason)")
    }
}
