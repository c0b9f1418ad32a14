#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a token that passed every check of docs/architecture.md §5 says about its user. Only
/// claims the provider sets are read: `user_metadata` is user-editable and never consulted.
package struct VerifiedToken: Sendable, Equatable {
    /// `sub`: the user's id at the provider, never empty.
    package let subject: String
    /// `email`, or nil when the claim is missing or empty (phone and anonymous users have none).
    package let email: String?
    /// Whether the provider vouches for `email`: `email_verified: true`, or any email of a
    /// Supabase token (docs/architecture.md §4).
    package let emailVerified: Bool
    /// `exp`, without leeway.
    package let expiresAt: Date
    /// `iat`, when present. It is recorded, not checked.
    package let issuedAt: Date?
    /// An anonymous user; true only when the provider allows anonymous users.
    package let isAnonymous: Bool

    package init(subject: String, email: String?, emailVerified: Bool = true, expiresAt: Date, issuedAt: Date?, isAnonymous: Bool) {
        self.subject = subject
        self.email = email
        self.emailVerified = emailVerified
        self.expiresAt = expiresAt
        self.issuedAt = issuedAt
        self.isAnonymous = isAnonymous
    }
}
