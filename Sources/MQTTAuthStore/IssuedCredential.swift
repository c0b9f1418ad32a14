import Foundation

/// What one token exchange hands back. `password` is the plaintext, which exists only here: the
/// store keeps its hash. Never log this value.
package struct IssuedCredential: Sendable, Equatable {
    /// The username bound to the identity (it may carry a collision suffix).
    package let username: String
    /// 43 characters of URL-safe base64 (256 random bits).
    package let password: String
    /// When the credential stops authenticating: a whole second, the requested expiry rounded down.
    package let expiresAt: Date

    package init(username: String, password: String, expiresAt: Date) {
        self.username = username
        self.password = password
        self.expiresAt = expiresAt
    }
}
