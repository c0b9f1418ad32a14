import Crypto
import Foundation
import MQTTAuthCore
import MQTTAuthStore
import Synchronization

/// A provider's access token used as the MQTT password (`mqtt_login: true`,
/// docs/architecture.md §4.7): `/mqtt/auth` (and EMQX's authn) accept it when it passes every
/// check of its provider and the username is the one an exchange of that token would give.
/// The session may last until the token's `exp`, which is the answer's `expires_at`.
///
/// Verified tokens are remembered by their SHA-256 until their `exp`, at most ``capacity`` of
/// them, so that a storm of reconnects checks each signature once. What is remembered is the
/// provider, the username and the expiry; never the token. A remembered token still counts
/// only while its provider is configured, enabled and has `mqtt_login` (a reload may change
/// that).
package final class TokenLogin: Sendable {
    /// Most tokens remembered at once.
    package static let capacity = 10_000

    struct Entry: Sendable {
        let provider: String
        let username: String
        let expiresAt: Date
        /// What the token's claims say of the user: they apply to this session.
        let attributes: UserAttributes
    }

    private let remembered = Mutex<[SHA256Digest: Entry]>([:])

    package init() {}

    /// Whether `password` has a JWT's shape: three base64url parts whose header starts as a
    /// JSON object does (`eyJ` is `{"`). An issued credential's password never does: it has
    /// no dots.
    static func looksLikeToken(_ password: String) -> Bool {
        var dots = 0
        for byte in password.utf8 where byte == UInt8(ascii: ".") { dots += 1 }
        return dots == 2 && password.utf8.starts(with: "eyJ".utf8)
    }

    /// The verdict for a token memory knows, or nil when it must be checked.
    func remembered(token: String, username: String, runtime: Runtime, now: Date) -> BrokerDecisions.Verdict? {
        let digest = SHA256.hash(data: Data(token.utf8))
        guard let entry = remembered.withLock({ $0[digest] }), now < entry.expiresAt,
              let provider = runtime.providers[entry.provider]?.configuration, provider.enabled, provider.mqttLogin
        else { return nil }
        guard entry.username == username else { return Self.wrongUser }
        return BrokerDecisions.Verdict(allowed: true, expiresAt: entry.expiresAt, attributes: entry.attributes)
    }

    static let wrongUser = BrokerDecisions.Verdict(allowed: false, reason: "the token belongs to another username")

    /// Checks `token` against the provider whose issuer it names, binds its identity's username
    /// in the store as an exchange would, and allows `username` only if it is that name.
    /// Every failure (a bad token, a provider without `mqtt_login`, a store that cannot be
    /// reached) refuses.
    func check(token: String, username: String, runtime: Runtime, store: any CredentialStore, now: Date) async -> BrokerDecisions.Verdict {
        if let known = remembered(token: token, username: username, runtime: runtime, now: now) { return known }
        guard let issuer = Self.unverifiedIssuer(token),
              let provider = runtime.providers.values.first(where: {
                  $0.configuration.mqttLogin && $0.configuration.enabled && $0.configuration.issuer == issuer
              })
        else {
            return BrokerDecisions.Verdict(allowed: false, reason: "the token is not from a provider with mqtt_login")
        }
        let verified: VerifiedToken
        do {
            verified = try await provider.verifier.verify(token)
        } catch {
            return BrokerDecisions.Verdict(allowed: false, reason: error.description)
        }
        guard verified.expiresAt > now else {
            return BrokerDecisions.Verdict(allowed: false, reason: TokenError.expired.description)
        }
        let bound: String
        let attributes = ClaimAttributes.read(provider.configuration.attributes, from: token)
        do {
            let derived = try CredentialRules.username(
                source: provider.configuration.username, subject: verified.subject,
                email: verified.email, emailVerified: verified.emailVerified)
            bound = try await store.bindIdentity(
                provider: provider.configuration.name, subject: verified.subject, username: derived,
                attributes: attributes, now: now)
        } catch let error as CredentialError {
            return BrokerDecisions.Verdict(allowed: false, reason: "invalid_token: \(error.description)")
        } catch {
            return BrokerDecisions.Verdict(allowed: false, reason: "the credential store is unavailable")
        }
        remember(SHA256.hash(data: Data(token.utf8)), Entry(
            provider: provider.configuration.name, username: bound, expiresAt: verified.expiresAt, attributes: attributes), now: now)
        guard bound == username else { return Self.wrongUser }
        return BrokerDecisions.Verdict(allowed: true, expiresAt: verified.expiresAt, attributes: attributes)
    }

    /// Keeps the entry, first making room when full: expired entries go, then the half that
    /// expires soonest.
    private func remember(_ digest: SHA256Digest, _ entry: Entry, now: Date) {
        remembered.withLock { entries in
            if entries.count >= Self.capacity {
                entries = entries.filter { $0.value.expiresAt > now }
            }
            if entries.count >= Self.capacity {
                let keep = entries.sorted { $0.value.expiresAt > $1.value.expiresAt }.prefix(Self.capacity / 2)
                entries = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
            }
            entries[digest] = entry
        }
    }

    /// Tokens remembered now, for tests.
    package var count: Int { remembered.withLock { $0.count } }

    /// The `iss` of a token's claims, read before any check only to choose the provider whose
    /// checks then decide; nil when the token's middle part is not a JSON object with a string `iss`.
    static func unverifiedIssuer(_ token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else { return nil }
        struct Issuer: Decodable { let iss: String }
        return try? JSONDecoder().decode(Issuer.self, from: data).iss
    }
}
