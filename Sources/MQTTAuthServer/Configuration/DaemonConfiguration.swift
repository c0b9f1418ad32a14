import Foundation
import MQTTAuthCore
import MQTTAuthPostgres

/// Everything the daemon reads from its YAML file. Every key, with its default:
///
/// ```yaml
/// listen: "127.0.0.1:8080"                  # host:port, [::1]:port for IPv6
/// tls: {certificate: cert.pem, private_key: key.pem}   # optional: serve HTTPS
/// database: "./var/mqtt-authd.sqlite"       # created (with its folder) when missing; or
///   "postgres://user:${PGPASSWORD}@host:5432/db?sslmode=verify-full" (disable, require, verify-full)
/// database_ca: ca.pem                       # PostgreSQL: CAs for verify-full (default: the system's)
/// database_pool_size: 10                    # PostgreSQL: connections per daemon
/// database_timeout: 5                       # PostgreSQL: seconds an exchange waits before 503
/// database_miss_lookups: {rate: 100, burst: 200}   # PostgreSQL: look-ups of unknown passwords
/// api_keys:                                 # who may call /v2/tokens/exchange
///   - name: backend
///     key_sha256: "<hex SHA-256 of the key>"   # or key: "sk_test_..." (plain, for development)
///     kind: secret                          # or publishable: browsers, from cors origins only;
///                                           # a plain key's sk_/pk_ prefix sets it
/// cors:
///   allowed_origins: []                     # e.g. ["https://app.example.com"]
/// providers:
///   - name: supabase                        # lower-case; the "provider" of exchange requests
///     type: supabase
///     project_url: "https://abc123.supabase.co"
///     jwt_secret: "${SUPABASE_JWT_SECRET}"  # legacy HS256 secret, or jwt_secret_file: path
///     jwks_url: <project_url>/auth/v1/.well-known/jwks.json   # the default
///     jwks_file: path                       # a local JWKS document, used instead of fetching
///     username: uuid                        # or email
///     allow_anonymous: false
///     enabled: true
/// credentials: {max_ttl: 86400, max_per_user: 20, leeway: 30}
/// broker:
///   response_body: json                     # or text: exactly "ok"
///   allow_from: ["10.0.0.0/8", "::1"]       # broker endpoints and /v2/policy: these addresses only
///   token_sha256: "<hex SHA-256>"           # and only with Authorization: Bearer <token>
///                                           # (token: "..." in plain text, for development)
/// rabbitmq: {vhost: "/", exchange: amq.topic} # what RabbitMQ's MQTT clients may use
/// vernemq: {mountpoints: [""], acl_cache_seconds: 0}  # 0: no Cache-Control on topic answers
/// rate_limits:                              # token buckets on /v2/tokens/exchange; rate 0: off
///   per_api_key: {rate: 200, burst: 400}    # exchanges per second for each API key
///   per_client_ip: {rate: 2, burst: 30}     # failed exchanges per second from one address
/// superusers: [...]                         # and acl: {rules, files}, as for aclcheck
/// ```
///
/// Relative paths are resolved against the config file's folder. `${VAR}` in any value outside
/// `acl` and `superusers` reads the environment; a missing variable is an error. Unknown keys
/// are errors, so that a typo is never silently ignored.
package struct DaemonConfiguration: Sendable {
    package var listen = ListenAddress(host: "127.0.0.1", port: 8080)
    package var tls: TLSFiles?
    package var database = "./var/mqtt-authd.sqlite"
    /// Set when `database` is a PostgreSQL URL, with the `database_*` keys applied.
    package var postgres: PostgresSettings?
    package var apiKeys: [APIKey] = []
    /// Who may call the admin endpoints (README "Refresh and revocation"): entries shaped like
    /// `apiKeys`, without a kind.
    package var adminKeys: [APIKey] = []
    package var cors = CORSSettings()
    package var providers: [ProviderConfiguration] = []
    package var credentials = CredentialSettings()
    package var broker = BrokerSettings()
    package var rabbitMQ = RabbitMQSettings()
    package var verneMQ = VerneMQSettings()
    package var rateLimits = RateLimitSettings()
    package var acl = ACLConfiguration()

    package init() {}

    /// The store's location for logs: the SQLite path, or the URL without its password.
    package var databaseDescription: String {
        postgres.map(\.description) ?? database
    }
}

package struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    package var host: String
    package var port: Int

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

package struct TLSFiles: Sendable, Equatable {
    package var certificate: String
    package var privateKey: String
}

/// One entry of `providers:` (README "Identity providers").
package struct ProviderConfiguration: Sendable {
    /// Where the provider's public keys come from.
    package enum KeySource: Sendable, Equatable {
        /// A JWKS document fetched from this URL and cached (docs/architecture.md §5).
        case jwks(url: String)
        /// OpenID Connect discovery: this `openid-configuration` document names the JWKS in
        /// `jwks_uri`, and its `issuer` must equal the provider's.
        case discovery(url: String)
        /// `jwks_file`, read with the configuration; nothing is fetched.
        case file
    }

    /// A Clerk provider's `credential_ttl` when none is configured: Clerk's session tokens
    /// live about a minute, too short for an MQTT session.
    package static let clerkCredentialTTL = 3600

    package var name: String
    package var type: TokenVerifierConfiguration.Kind
    /// The token checks (the leeway comes from `credentials`, see ``tokenSettings(leeway:)``).
    package var token: TokenVerifierConfiguration
    package var keySource: KeySource
    /// A Supabase provider's `project_url`, without a trailing slash.
    package var projectURL: String?
    package var username: UsernameSource = .uuid
    /// Seconds a credential lives by default, instead of the token's `exp` (still capped by
    /// `max_ttl`); nil follows the token.
    package var credentialTTL: Int?
    package var enabled = true
    /// Clients may connect with this provider's access token as the MQTT password
    /// (docs/architecture.md §4.7).
    package var mqttLogin = false
    /// Attributes read from each verified token's claims (README "Attributes").
    package var attributes: [ClaimAttributes.Declaration] = []

    /// Compared exactly with `iss`.
    package var issuer: String { token.issuer }
    package var jwtSecret: [UInt8]? { token.hs256Secret }
    /// The contents of `jwks_file`.
    package var jwks: Data? { token.jwks }
    package var allowAnonymous: Bool { token.allowAnonymous }
    /// The JWKS URL, when the keys come from one.
    package var jwksURL: String? {
        if case .jwks(let url) = keySource { url } else { nil }
    }

    /// What the token verifier needs, with the credentials' `leeway`.
    package func tokenSettings(leeway: Int) -> TokenVerifierConfiguration {
        var settings = token
        settings.leeway = leeway
        return settings
    }
}

package struct CredentialSettings: Sendable, Equatable {
    /// The longest credential lifetime a request may ask for, in seconds.
    package var maxTTL = 86400
    package var maxPerUser = 20
    /// Seconds of clock skew allowed on a token's exp and nbf.
    package var leeway = 30
    /// The longest a refresh chain may keep a user connected from its exchange, in seconds;
    /// 0 turns refresh off (docs/architecture.md §4.9).
    package var maxSession = 604_800

    package init(maxTTL: Int = 86400, maxPerUser: Int = 20, leeway: Int = 30, maxSession: Int = 604_800) {
        self.maxTTL = maxTTL
        self.maxPerUser = maxPerUser
        self.leeway = leeway
        self.maxSession = maxSession
    }
}

package struct BrokerSettings: Sendable, Equatable {
    package enum ResponseBody: String, Sendable {
        /// `{"ok":true,"error":""}`: go-auth's `status` and `json` response modes.
        case json
        /// Exactly `ok`: go-auth's `text` mode.
        case text
    }

    package var responseBody = ResponseBody.json
    /// Who may call the broker endpoints and `/v2/policy`.
    package var access = BrokerGuard()
}

/// Token buckets on the exchange. A client address that keeps failing (a wrong API key, an
/// invalid token, a malformed request) is refused with 429 before any work is done, so that
/// guessing keys or forging tokens is slow; each API key's successful traffic has its own bucket.
package struct RateLimitSettings: Sendable, Equatable {
    /// Exchanges per second (and burst) for each API key; nil when off.
    package var perAPIKey: RateLimiter.Limit? = RateLimiter.Limit(rate: 200, burst: 400)
    /// Failed exchanges per second (and burst) from one client address; nil when off.
    package var perClientIP: RateLimiter.Limit? = RateLimiter.Limit(rate: 2, burst: 30)

    package init() {}
}

/// `rabbitmq:`: what an MQTT credential may use on RabbitMQ beside its topics (README
/// "RabbitMQ").
package struct RabbitMQSettings: Sendable, Equatable {
    /// The one virtual host MQTT clients may use.
    package var vhost = "/"
    /// The topic exchange the MQTT plugin publishes to (`mqtt.exchange`).
    package var exchange = "amq.topic"

    package init() {}
}

/// `vernemq:` (README "VerneMQ").
package struct VerneMQSettings: Sendable, Equatable {
    /// Mountpoints accepted beside the empty one; a request on any other is refused.
    package var mountpoints: [String] = [""]
    /// `Cache-Control: max-age` on publish and subscribe answers, in seconds; nil sends none.
    package var aclCache: Int?

    package init() {}

    func accepts(mountpoint: String?) -> Bool {
        guard let mountpoint, !mountpoint.isEmpty else { return true }
        return mountpoints.contains(mountpoint)
    }
}
