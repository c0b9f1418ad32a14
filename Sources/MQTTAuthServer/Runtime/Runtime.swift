import Foundation
import MQTTAuthCore

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

    package init(
        configuration: DaemonConfiguration,
        now: @escaping @Sendable () -> Date = { Date() },
        jwksSource: (ProviderConfiguration) -> (any JWKSSource)?
    ) {
        self.configuration = configuration
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
    package func apiKey(forDigest digest: [UInt8]) -> (name: String, kind: APIKeyKind)? {
        Self.key(digest, in: configuration.apiKeys).map { ($0.name, $0.kind) }
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
