import Foundation
import MQTTAuthCore

/// Where issued credentials live: `SQLiteCredentialStore` (one daemon, the embedded default) or
/// the PostgreSQL store of `MQTTAuthPostgres` (several daemons on one database). Both keep an
/// in-memory index that answers broker checks without I/O, and both pass the same contract
/// suite (`Tests/StoreContractTests`). The rules they share are in docs/architecture.md §4
/// and §9.
package protocol CredentialStore: APIKeyStore {
    /// Issues a new credential for the identity (provider, subject) and returns it, plaintext
    /// password included, only after it is durable in the store; then this store's index knows
    /// it too. The identity keeps the username bound to it; a new identity gets `username`, or
    /// a deterministic suffix of it when another identity holds that name; of the user's
    /// credentials only the newest `maxPerUser` stay. See `SQLiteCredentialStore.issue` for
    /// the steps.
    ///
    /// - Throws: `CredentialError` for an invalid `username`; `CredentialStoreError` when the
    ///   credential cannot be stored (then nothing was stored that anyone was told about).
    /// `attributes` replace what the user had (the latest exchange wins), in the same
    /// transaction as the credential. `origin` is recorded with it (docs/architecture.md §4.9).
    ///
    /// - Throws: also `IssueRefusal` when the user is blocked, or `origin.replacing` is no
    ///   longer stored; then nothing was stored.
    func issue(
        provider: String,
        subject: String,
        username: String,
        expiresAt: Date,
        maxPerUser: Int,
        attributes: UserAttributes,
        origin: CredentialOrigin,
        now: Date
    ) async throws -> IssuedCredential

    /// The credential `tokenID` if it is stored and unexpired at `now`; read from the database.
    func credential(tokenID: String, now: Date) async throws -> StoredCredential?

    /// Revokes the credential `tokenID`: it stops authenticating at once on this daemon, and on
    /// every other once the change reaches it; the revocation is durable before this returns.
    /// With `issuedBy`, only a credential that API key's exchange issued is revoked.
    /// Returns false when there was no such live credential (nothing changed).
    func revoke(tokenID: String, issuedBy apiKey: String?, now: Date) async throws -> Bool

    /// Revokes every credential of `username`, and with `blockUntil` refuses the user new
    /// credentials (and token logins) until then; a block never shortens an earlier one.
    /// Returns how many credentials it revoked, or nil when no identity has that username
    /// (nothing changed).
    func terminate(username: String, blockUntil: Date?, now: Date) async throws -> Int?

    /// The credentials of `username` unexpired at `now`, live and revoked, oldest first
    /// (`CredentialListing.inOrder`), read from the database; nil when no identity has that
    /// username. For the admin API (README "Admin API").
    func credentials(of username: String, now: Date) async throws -> [CredentialListing]?

    /// Unexpired credentials and identities, counted in the database (README "Admin API").
    func counts(now: Date) async throws -> StoreCounts

    /// Until when `username` is blocked, if it is at `now`: memory only, no I/O.
    func blockedUntil(_ username: String, now: Date) -> Date?

    /// The credentials revoked at or after `since` that are still unexpired at `now`, in
    /// revocation order, at most `limit`: the revocation feed brokers poll (§4.11).
    func revocations(since: Date, now: Date, limit: Int) async throws -> [Revocation]

    /// The username bound to the identity (provider, subject), binding `username` (or its
    /// first free disambiguated form, as `issue` would) when it has none; no credential is
    /// issued. What a token used as the MQTT password is checked against.
    ///
    /// - Throws: `CredentialError` for an invalid `username`; `CredentialStoreError` when the
    ///   binding cannot be read or stored.
    /// `attributes` replace the user's, as at an exchange.
    func bindIdentity(provider: String, subject: String, username: String, attributes: UserAttributes, now: Date) async throws -> String

    /// The user's attributes as memory knows them: no I/O.
    func attributes(of username: String) -> UserAttributes

    /// What the in-memory index says of a username and password: no I/O, no waiting.
    func check(username: String, password: String, now: Date) -> CredentialCheck

    /// The answer for a `check` that said `.askStore`: the store is read, within a bounded time.
    /// Nil when the credential is unknown or expired, or when the store cannot be read (fail
    /// closed).
    func checkInStore(username: String, password: String, now: Date) async -> CredentialMatch?

    /// Deletes credentials with `expiresAt <= now`; returns how many this call deleted.
    func purgeExpired(now: Date) async throws -> Int

    /// Unexpired credentials in the index, for the active-credentials gauge.
    func activeCount(now: Date) -> Int

    /// Whether the store's database answers, for `/healthz`.
    var health: StoreHealth { get }
}

/// One revoked credential, as the revocation feed lists it.
package struct Revocation: Sendable, Equatable {
    package let tokenID: String
    package let revokedAt: Date

    package init(tokenID: String, revokedAt: Date) {
        self.tokenID = tokenID
        self.revokedAt = revokedAt
    }
}

/// The credential a password matched.
package struct CredentialMatch: Sendable, Equatable {
    package let expiresAt: Date
    package let tokenID: String

    package init(expiresAt: Date, tokenID: String) {
        self.expiresAt = expiresAt
        self.tokenID = tokenID
    }
}

/// The memory's answer to a password check.
package enum CredentialCheck: Sendable, Equatable {
    /// A credential of the user matches.
    case valid(CredentialMatch)
    /// Refused: no credential matches, and asking the store could not change that.
    case invalid
    /// Not in memory, but perhaps in the store (issued by another daemon a moment ago): call
    /// `checkInStore`.
    case askStore

    /// The matched credential's expiry, for `.valid`.
    package var expiresAt: Date? {
        if case .valid(let match) = self { match.expiresAt } else { nil }
    }
}

package enum StoreHealth: String, Sendable {
    case ok
    case unreachable
}

extension CredentialStore {
    /// `issue` for a provider that declares no attributes.
    package func issue(
        provider: String, subject: String, username: String, expiresAt: Date, maxPerUser: Int, now: Date
    ) async throws -> IssuedCredential {
        try await issue(provider: provider, subject: subject, username: username, expiresAt: expiresAt,
                        maxPerUser: maxPerUser, attributes: .none, now: now)
    }

    /// `issue` outside any exchange: no API key, a chain that starts now.
    package func issue(
        provider: String, subject: String, username: String, expiresAt: Date, maxPerUser: Int, attributes: UserAttributes, now: Date
    ) async throws -> IssuedCredential {
        try await issue(provider: provider, subject: subject, username: username, expiresAt: expiresAt, maxPerUser: maxPerUser,
                        attributes: attributes, origin: CredentialOrigin(apiKey: "", sessionStartedAt: now), now: now)
    }

    /// `bindIdentity` for a provider that declares no attributes.
    package func bindIdentity(provider: String, subject: String, username: String, now: Date) async throws -> String {
        try await bindIdentity(provider: provider, subject: subject, username: username, attributes: .none, now: now)
    }

    /// `check`, then `checkInStore` when memory cannot decide.
    package func match(username: String, password: String, now: Date) async -> CredentialMatch? {
        switch check(username: username, password: password, now: now) {
        case .valid(let match): match
        case .invalid: nil
        case .askStore: await checkInStore(username: username, password: password, now: now)
        }
    }

    /// The matched credential's expiry, or nil.
    package func verify(username: String, password: String, now: Date) async -> Date? {
        await match(username: username, password: password, now: now)?.expiresAt
    }
}

/// What every store checks and makes before it writes a credential: the username is valid, the
/// expiry (rounded down to a whole second) is still ahead, and a new password with its hash.
package struct NewCredential: Sendable {
    /// The plaintext, returned once to the caller; never stored or logged.
    package let password: String
    package let hash: [UInt8]
    /// Whole Unix seconds.
    package let expires: Int64
    package let tokenID = CredentialRules.newTokenID()

    /// - Throws: `CredentialError` for an invalid `username`; `CredentialStoreError` for an
    ///   expiry not after `now`.
    package init(username: String, expiresAt: Date, maxPerUser: Int, now: Date) throws {
        precondition(maxPerUser >= 1, "maxPerUser must leave room for the new credential")
        try CredentialRules.validateUsername(username)
        expires = UnixTime.seconds(expiresAt)
        guard UnixTime.date(expires) > now else { throw CredentialStoreError.alreadyExpired }
        password = CredentialRules.newPassword()
        hash = CredentialRules.hash(password)
    }

    package var expiresAt: Date { UnixTime.date(expires) }
}
