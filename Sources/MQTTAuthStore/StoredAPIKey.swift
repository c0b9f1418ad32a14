import Foundation
import MQTTAuthCore

/// An API key kept in the store (README "Keys in the store", docs/architecture.md "Where state
/// lives"): its name, kind and times, and the SHA-256 of the key, never the key.
package struct StoredAPIKey: Sendable, Equatable {
    package enum Kind: String, Sendable, Equatable, CaseIterable {
        case secret
        case publishable

        /// The prefix of a new key of this kind.
        package var livePrefix: String {
            switch self {
            case .secret: "sk_live_"
            case .publishable: "pk_live_"
            }
        }
    }

    package var name: String
    package var kind: Kind
    package var sha256: [UInt8]
    package var createdAt: Date
    package var expiresAt: Date?
    package var revokedAt: Date?
    /// Whole minutes: recorded at most once a minute per key (`APIKeyStore.noteAPIKeyUse`).
    package var lastUsedAt: Date?

    package init(name: String, kind: Kind, sha256: [UInt8], createdAt: Date, expiresAt: Date?, revokedAt: Date?, lastUsedAt: Date?) {
        self.name = name
        self.kind = kind
        self.sha256 = sha256
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.lastUsedAt = lastUsedAt
    }

    /// Whether the key opens anything at `now`: not revoked, and not expired.
    package func isLive(now: Date) -> Bool {
        revokedAt == nil && (expiresAt.map { now < $0 } ?? true)
    }
}

/// A key about to be stored: its plaintext, returned once to whoever asked for it, and the
/// row that the store writes.
package struct NewAPIKey: Sendable {
    /// Shown once; never stored or logged.
    package let key: String
    package let stored: StoredAPIKey

    /// A fresh key from the CSPRNG (`CredentialRules.newAPIKey`). `expiresAt` is rounded down
    /// to a whole second, as every stored time is.
    ///
    /// - Precondition: `name` passes `CredentialRules.isAPIKeyName`.
    package init(name: String, kind: StoredAPIKey.Kind, expiresAt: Date?, now: Date) {
        precondition(CredentialRules.isAPIKeyName(name), "an API key name must be 1 to 64 of [A-Za-z0-9_.-]")
        key = CredentialRules.newAPIKey(prefix: kind.livePrefix)
        stored = StoredAPIKey(
            name: name, kind: kind, sha256: CredentialRules.hash(key), createdAt: UnixTime.date(UnixTime.seconds(now)),
            expiresAt: expiresAt.map { UnixTime.date(UnixTime.seconds($0)) }, revokedAt: nil, lastUsedAt: nil
        )
    }
}

/// Why a key was not created.
package enum APIKeyRefusal: Error, Sendable, Equatable {
    /// A stored key already has this name (revoked ones too: names are never reused).
    case nameTaken
}

/// The stored API keys of a `CredentialStore`. Look-ups read memory only, so the exchange does
/// no I/O for them; every write commits first and then changes this store's memory, and the
/// other daemons on a shared database learn it from the change feed (docs/architecture.md
/// "Where state lives").
package protocol APIKeyStore: Sendable {
    /// Stores `key`; durable before it returns.
    ///
    /// - Throws: `APIKeyRefusal.nameTaken` when a stored key has that name (nothing changed).
    func createAPIKey(_ key: NewAPIKey) async throws -> StoredAPIKey

    /// Every stored key, revoked and expired ones too, by name; read from the database.
    func listAPIKeys() async throws -> [StoredAPIKey]

    /// Revokes the key `name`; it is refused at once here, and on every daemon once the change
    /// reaches it. False when no live key has that name (nothing changed).
    func revokeAPIKey(name: String, now: Date) async throws -> Bool

    /// The live key whose SHA-256 is `digest`, comparing with every stored key in constant
    /// time; expiry is checked against `now`. Memory only.
    func apiKey(forDigest digest: [UInt8], now: Date) -> StoredAPIKey?

    /// Notes that `name` was used at `now`, in memory; `flushAPIKeyUses` writes it, so a key
    /// costs at most one write a minute however many exchanges it serves.
    func noteAPIKeyUse(name: String, now: Date)

    /// Writes the uses noted since the last flush, each key's minute once; returns how many
    /// keys it wrote.
    func flushAPIKeyUses() async throws -> Int

    /// Reads the keys again when someone else changed them (on SQLite: another process, such
    /// as `mqtt-authd keys`, committed); cheap when nothing changed. The shared store follows
    /// its change feed instead and does nothing here.
    func followAPIKeys() async throws
}

/// A store whose memory of keys is an `APIKeyTable`: the look-up and the noting of a use are
/// the table's, the same in both stores.
package protocol APIKeyTableOwner {
    var apiKeys: APIKeyTable { get }
}

extension APIKeyStore where Self: APIKeyTableOwner {
    package func apiKey(forDigest digest: [UInt8], now: Date) -> StoredAPIKey? {
        apiKeys.key(forDigest: digest, now: now)
    }

    package func noteAPIKeyUse(name: String, now: Date) {
        apiKeys.noteUse(name: name, now: now)
    }
}
