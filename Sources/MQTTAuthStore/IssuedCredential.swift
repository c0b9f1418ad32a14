import Foundation
import MQTTAuthCore

/// What one token exchange (or refresh) hands back. `password` is the plaintext, which exists
/// only here: the store keeps its hash. Never log this value.
package struct IssuedCredential: Sendable, Equatable {
    /// The username bound to the identity (it may carry a collision suffix).
    package let username: String
    /// 43 characters of URL-safe base64 (256 random bits).
    package let password: String
    /// When the credential stops authenticating: a whole second, the requested expiry rounded down.
    package let expiresAt: Date
    /// The credential's opaque id (`CredentialRules.newTokenID`), for refresh and revocation.
    package let tokenID: String
    /// When it was issued, a whole second: with `expiresAt`, its lifetime.
    package let issuedAt: Date

    package init(username: String, password: String, expiresAt: Date, tokenID: String, issuedAt: Date) {
        self.username = username
        self.password = password
        self.expiresAt = expiresAt
        self.tokenID = tokenID
        self.issuedAt = issuedAt
    }
}

/// Where a credential comes from: what refresh and revocation check (docs/architecture.md §4.9).
package struct CredentialOrigin: Sendable, Equatable {
    /// The name of the API key whose exchange issued it; "" when none did (tests, tools).
    package var apiKey: String
    /// When its refresh chain began: the exchange of an IdP token. A refresh keeps it.
    package var sessionStartedAt: Date
    /// For a refresh, the `tokenID` of the credential it replaces: the new one is stored only
    /// if that one still is (not revoked, purged or dropped meanwhile), in the same transaction.
    package var replacing: String?

    package init(apiKey: String, sessionStartedAt: Date, replacing: String? = nil) {
        self.apiKey = apiKey
        self.sessionStartedAt = sessionStartedAt
        self.replacing = replacing
    }
}

/// A live credential as the store holds it, read for a refresh: its hash, never a password.
package struct StoredCredential: Sendable, Equatable {
    package let tokenID: String
    package let username: String
    package let provider: String
    package let subject: String
    /// SHA-256 of the password.
    package let hash: [UInt8]
    package let issuedAt: Date
    package let expiresAt: Date
    package let apiKey: String
    package let sessionStartedAt: Date
    /// The user's attributes as stored now.
    package let attributes: UserAttributes

    package init(
        tokenID: String, username: String, provider: String, subject: String, hash: [UInt8], issuedAt: Date, expiresAt: Date,
        apiKey: String, sessionStartedAt: Date, attributes: UserAttributes
    ) {
        self.tokenID = tokenID
        self.username = username
        self.provider = provider
        self.subject = subject
        self.hash = hash
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.apiKey = apiKey
        self.sessionStartedAt = sessionStartedAt
        self.attributes = attributes
    }
}

/// Why the store refused to issue, though it works: not a failure to retry.
package enum IssueRefusal: Error, Sendable, Equatable {
    /// The user was terminated with `block_seconds`; new credentials wait until then.
    case blocked(until: Date)
    /// A refresh whose credential is gone (revoked, purged or dropped meanwhile).
    case replacedCredentialGone
}
