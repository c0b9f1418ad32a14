import Foundation

/// One credential of a user as the admin API lists it (README "Admin API"): live, or revoked
/// and not yet expired. It holds no password and no hash.
package struct CredentialListing: Sendable, Equatable {
    package let tokenID: String
    /// The provider of the identity the credential belongs to.
    package let provider: String
    package let issuedAt: Date
    package let expiresAt: Date
    /// When it was revoked; nil for a live credential.
    package let revokedAt: Date?

    package init(tokenID: String, provider: String, issuedAt: Date, expiresAt: Date, revokedAt: Date?) {
        self.tokenID = tokenID
        self.provider = provider
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    /// The order listings come in: oldest first, then by token id, so that it is stable.
    package static func inOrder(_ listings: [CredentialListing]) -> [CredentialListing] {
        listings.sorted { ($0.issuedAt, $0.tokenID) < ($1.issuedAt, $1.tokenID) }
    }
}

/// What the store holds, counted in the database, for `GET /v2/admin/stats`.
package struct StoreCounts: Sendable, Equatable {
    /// Credentials stored and unexpired (revoked ones are no longer stored as credentials).
    package let activeCredentials: Int
    /// Identities bound to a username: every user the store ever knew.
    package let users: Int

    package init(activeCredentials: Int, users: Int) {
        self.activeCredentials = activeCredentials
        self.users = users
    }
}
