import Foundation
import MQTTAuthCore
import MQTTAuthStore

/// Everything requests read that a reload replaces, built from one configuration and then
/// immutable: compiled ACL, API keys, token verifiers. A reload builds a new one and swaps it
/// in `RuntimeBox`; requests in flight finish with the one they started with.
package final class Runtime: Sendable {
    package let configuration: DaemonConfiguration
    package let acl: CompiledACL
    package let providers: [String: ProviderRuntime]
    /// `GET /v2/policy`'s body and version (`ACLPolicy`), made once per configuration.
    package let policy: (version: String, body: Data)
    /// Whether an enabled provider takes its tokens as MQTT passwords (`TokenLogin`): decided
    /// once per configuration, not per `/mqtt/auth` request.
    package let acceptsTokenLogins: Bool
    /// The store's API keys (README "Keys in the store"): not part of the configuration, so
    /// every runtime of one daemon holds the same store, whose memory outlives reloads.
    package let storedKeys: (any APIKeyStore)?
    private let now: @Sendable () -> Date

    package init(
        configuration: DaemonConfiguration,
        now: @escaping @Sendable () -> Date = { Date() },
        storedKeys: (any APIKeyStore)? = nil,
        jwksSource: (ProviderConfiguration) -> (any JWKSSource)?
    ) {
        self.configuration = configuration
        self.storedKeys = storedKeys
        self.now = now
        self.acl = configuration.acl.compile()
        self.policy = ACLPolicy.encode(configuration.acl)
        self.acceptsTokenLogins = configuration.providers.contains { $0.mqttLogin && $0.enabled }
        var providers: [String: ProviderRuntime] = [:]
        for provider in configuration.providers {
            let verifier = TokenVerifier(
                configuration: provider.tokenSettings(leeway: configuration.credentials.leeway),
                jwksSource: provider.jwks == nil ? jwksSource(provider) : nil,
                now: now
            )
            providers[provider.name] = ProviderRuntime(configuration: provider, verifier: verifier)
        }
        self.providers = providers
    }

    /// The name and kind of the API key whose SHA-256 equals `digest`, comparing against every
    /// key in constant time so that timing does not tell how much of a guess was right, nor
    /// which key matched. A publishable key may only exchange, from an allowed origin (README
    /// "API keys"): every endpoint that takes API keys must look at `kind`.
    ///
    /// Configured keys first, then the live stored ones (memory only; a revoked or expired key
    /// is not found), whose use is noted for `last_used_at` (README "Keys in the store").
    package func apiKey(forDigest digest: [UInt8]) -> (name: String, kind: APIKeyKind)? {
        if let key = Self.key(digest, in: configuration.apiKeys) { return (key.name, key.kind) }
        guard let storedKeys else { return nil }
        let now = now()
        guard let key = storedKeys.apiKey(forDigest: digest, now: now) else { return nil }
        storedKeys.noteAPIKeyUse(name: key.name, now: now)
        return (key.name, key.kind == .publishable ? .publishable : .secret)
    }

    /// Whether a key of the configuration (`api_keys` or `admin_keys`) has this name: a stored
    /// key may not take it (README "Keys in the store").
    package func configurationHasKey(named name: String) -> Bool {
        configuration.apiKeys.contains { $0.name == name } || configuration.adminKeys.contains { $0.name == name }
    }

    /// The name of the admin key whose SHA-256 equals `digest`, compared as `apiKey` does.
    package func adminKeyName(forDigest digest: [UInt8]) -> String? {
        Self.key(digest, in: configuration.adminKeys)?.name
    }

    private static func key(_ digest: [UInt8], in keys: [APIKey]) -> APIKey? {
        var found: APIKey?
        for key in keys where CredentialRules.constantTimeEqual(key.sha256, digest) {
            found = found ?? key
        }
        return found
    }

    /// The name of the API key whose SHA-256 equals `digest`, of either kind; see
    /// ``apiKey(forDigest:)``, which also says whether it is publishable.
    package func apiKeyName(forDigest digest: [UInt8]) -> String? {
        apiKey(forDigest: digest)?.name
    }
}

package struct ProviderRuntime: Sendable {
    package let configuration: ProviderConfiguration
    package let verifier: TokenVerifier
}
