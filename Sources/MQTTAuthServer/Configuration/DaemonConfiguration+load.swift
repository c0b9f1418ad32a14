import Crypto
import Foundation
import MQTTAuthCore
import MQTTAuthPostgres

extension DaemonConfiguration {
    static let topLevelKeys: Set<String> = ACLConfiguration.keys.union([
        "listen", "tls", "database", "database_ca", "database_pool_size", "database_timeout", "database_miss_lookups", "api_keys", "admin_keys", "cors", "providers", "credentials", "broker", "rabbitmq", "vernemq", "rate_limits",
    ])

    /// Loads and checks the daemon's configuration file.
    ///
    /// - Parameter environment: where `${VAR}` values come from.
    /// - Throws: `ConfigErrors` with every problem found, each with its file and line.
    package static func load(
        path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigErrors) -> DaemonConfiguration {
        var document = try ConfigDocument.open(path)
        var configuration = DaemonConfiguration()
        let (acl, aclFileDiagnostics) = ACLConfiguration.read(&document)
        configuration.acl = acl
        var reader = DaemonConfigReader(document: document, environment: environment)
        reader.read(into: &configuration)
        try reader.document.finish(adding: aclFileDiagnostics)
        if configuration.postgres == nil {
            configuration.database = reader.document.resolve(configuration.database)
        }
        return configuration
    }
}

/// Reads the daemon's keys, collecting problems in the document's reader.
struct DaemonConfigReader {
    var document: ConfigDocument
    let environment: [String: String]

    private var yaml: YAMLReader {
        get { document.reader }
        set { document.reader = newValue }
    }

    mutating func read(into configuration: inout DaemonConfiguration) {
        var providers: [(provider: ProviderConfiguration, node: Node)] = []
        var databaseNode: Node?
        var postgresKeys: [(key: String, node: Node)] = []
        for (key, keyNode, value) in document.entries {
            switch key {
            case "listen": string(value, "listen").map { listen($0, value).map { configuration.listen = $0 } }
            case "tls": configuration.tls = tls(value)
            case "database":
                databaseNode = value
                string(value, "database").map { configuration.database = $0 }
            case "database_ca", "database_pool_size", "database_timeout", "database_miss_lookups":
                postgresKeys.append((key, value))
            case "api_keys": configuration.apiKeys = items(value, "api_keys").compactMap { apiKey($0) }
            case "admin_keys": configuration.adminKeys = items(value, "admin_keys").compactMap { apiKey($0, admin: true) }
            case "cors": cors(value, into: &configuration.cors)
            case "providers": providers = self.providers(value)
            case "credentials": credentials(value, into: &configuration.credentials)
            case "broker": broker(value, into: &configuration.broker)
            case "rabbitmq": rabbitMQ(value, into: &configuration.rabbitMQ)
            case "vernemq": verneMQ(value, into: &configuration.verneMQ)
            case "rate_limits": rateLimits(value, into: &configuration.rateLimits)
            default:
                if !ACLConfiguration.keys.contains(key) {
                    let known = DaemonConfiguration.topLevelKeys.sorted().joined(separator: ", ")
                    yaml.error(keyNode, "unknown key '\(key.printable)' (known keys: \(known))")
                }
            }
        }
        validate(providers, leeway: configuration.credentials.leeway)
        configuration.providers = providers.map(\.provider)
        configuration.postgres = postgres(configuration.database, databaseNode, postgresKeys)
    }

    /// The PostgreSQL settings when `database` is a `postgres://` URL; the `database_*` keys
    /// belong to PostgreSQL only. No message quotes the URL: it may hold the password.
    mutating func postgres(_ database: String, _ node: Node?, _ keys: [(key: String, node: Node)]) -> PostgresSettings? {
        guard PostgresSettings.isPostgresURL(database) else {
            for (key, node) in keys {
                error(node, "\(key) applies to a PostgreSQL database only, and database is a SQLite path")
            }
            return nil
        }
        var settings: PostgresSettings
        do {
            settings = try PostgresSettings.parse(url: database)
        } catch {
            self.error(node, "database: \(error)")
            return nil
        }
        for (key, node) in keys {
            switch key {
            case "database_ca": string(node, key).map { settings.caFile = document.resolve($0) }
            case "database_pool_size": integer(node, key, in: 1...1000).map { settings.poolSize = $0 }
            case "database_timeout": integer(node, key, in: 1...300).map { settings.timeout = .seconds($0) }
            default:
                guard let limit = rateLimit(node, key) else { continue }
                settings.missLookupRate = limit.rate
                settings.missLookupBurst = limit.burst
            }
        }
        if settings.caFile != nil, settings.sslMode != .verifyFull {
            error(node, "database_ca is used only with sslmode=verify-full, and the URL says sslmode=\(settings.sslMode.rawValue)")
        }
        return settings
    }

    // MARK: Values

    /// A string value with `${VAR}` replaced from the environment.
    mutating func string(_ node: Node, _ what: String) -> String? {
        guard let raw = yaml.string(node, what) else { return nil }
        do {
            return try EnvironmentExpansion.expand(raw, environment)
        } catch {
            yaml.error(node, "\(what): \(error)")
            return nil
        }
    }

    mutating func integer(_ node: Node, _ what: String, in range: ClosedRange<Int>) -> Int? {
        guard let text = string(node, what) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            yaml.error(node, "\(what) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text.printable)'")
            return nil
        }
        return value
    }

    mutating func bool(_ node: Node, _ what: String) -> Bool? {
        guard let text = string(node, what) else { return nil }
        switch text {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            yaml.error(node, "\(what) must be true or false, not '\(text.printable)'")
            return nil
        }
    }

    mutating func items(_ node: Node, _ what: String) -> [Node] {
        yaml.sequence(node, what) ?? []
    }

    mutating func entries(_ node: Node, _ what: String, allowed: Set<String>?) -> [(key: String, keyNode: Node, value: Node)] {
        yaml.mapping(node, what, allowed: allowed) ?? []
    }

    mutating func error(_ node: Node?, _ message: String) {
        yaml.error(node, message)
    }

    /// The contents of a file named in the configuration, relative to its folder.
    mutating func file(_ node: Node, _ what: String) -> Data? {
        guard let name = string(node, what) else { return nil }
        guard let data = FileManager.default.contents(atPath: document.resolve(name)) else {
            yaml.error(node, "\(what): cannot read '\(name.printable)'")
            return nil
        }
        return data
    }

    // MARK: Sections

    mutating func listen(_ text: String, _ node: Node) -> ListenAddress? {
        var host = Substring(text)
        var port = Substring("")
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if rest.hasPrefix(":") { port = rest.dropFirst() }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let number = Int(port), (0...65535).contains(number) else {
            error(node, "listen must be host:port (or [ipv6]:port), not '\(text.printable)'")
            return nil
        }
        return ListenAddress(host: String(host), port: number)
    }

    mutating func tls(_ node: Node) -> TLSFiles? {
        var certificate: String?
        var privateKey: String?
        for (key, _, value) in entries(node, "tls", allowed: ["certificate", "private_key"]) {
            let path = string(value, "tls.\(key)").map { document.resolve($0) }
            if key == "certificate" { certificate = path } else { privateKey = path }
        }
        guard let certificate, let privateKey else {
            error(node, "tls needs both certificate and private_key")
            return nil
        }
        return TLSFiles(certificate: certificate, privateKey: privateKey)
    }

    /// An entry of `api_keys`. Its kind is `kind`, or else a plain key's `sk_`/`pk_` prefix, or
    /// else secret; a `kind` that contradicts the prefix is an error (README "API keys").
    /// No message quotes a key. An entry of `admin_keys` (`admin`) has the same keys but `kind`.
    mutating func apiKey(_ node: Node, admin: Bool = false) -> APIKey? {
        var name: String?
        var digest: [UInt8]?
        var prefixKind: APIKeyKind?
        var kind: (kind: APIKeyKind, node: Node)?
        let label = admin ? "admin key" : "api key"
        for (key, _, value) in entries(node, "an \(label)", allowed: admin ? ["name", "key_sha256", "key"] : ["name", "key_sha256", "key", "kind"]) {
            guard let text = string(value, key) else { continue }
            switch key {
            case "name": name = text
            case "kind":
                guard let named = APIKeyKind(rawValue: text) else {
                    error(value, "kind must be secret or publishable, not '\(text.printable)'")
                    continue
                }
                kind = (named, value)
            case "key":
                guard !text.isEmpty else {
                    error(value, "key is empty")
                    continue
                }
                digest = Array(SHA256.hash(data: Data(text.utf8)))
                prefixKind = APIKeyKind(prefixOf: text)
            default:
                guard let bytes = Hex.bytes(text), bytes.count == 32 else {
                    error(value, "key_sha256 must be 64 hex digits (mqtt-authd hash-key KEY prints it)")
                    continue
                }
                digest = bytes
            }
        }
        guard let name, !name.isEmpty else {
            error(node, "an \(label) needs a name")
            return nil
        }
        guard let digest else {
            error(node, "\(label) '\(name.printable)' needs key_sha256 (or key, for development)")
            return nil
        }
        if admin { return APIKey(name: name, sha256: digest, kind: .secret) }
        if let kind, let prefixKind, kind.kind != prefixKind {
            error(kind.node, "api key '\(name.printable)' says kind: \(kind.kind.rawValue), but its key starts with \(prefixKind.prefix), which is \(prefixKind.rawValue)")
            return nil
        }
        return APIKey(name: name, sha256: digest, kind: kind?.kind ?? prefixKind ?? .secret)
    }

    /// `cors: {allowed_origins: [...]}`; each entry must be an origin as browsers send it.
    mutating func cors(_ node: Node, into settings: inout CORSSettings) {
        for (_, _, value) in entries(node, "cors", allowed: ["allowed_origins"]) {
            for item in items(value, "cors.allowed_origins") {
                guard let text = string(item, "each entry of cors.allowed_origins") else { continue }
                if let problem = CORSSettings.problem(withOrigin: text) {
                    error(item, "cors.allowed_origins: '\(text.printable)' is not an origin (scheme://host[:port]): \(problem)")
                    continue
                }
                settings.allowedOrigins.append(text)
            }
        }
    }

    mutating func credentials(_ node: Node, into settings: inout CredentialSettings) {
        for (key, _, value) in entries(node, "credentials", allowed: ["max_ttl", "max_per_user", "leeway", "max_session"]) {
            switch key {
            case "max_ttl": integer(value, "credentials.max_ttl", in: 1...31_536_000).map { settings.maxTTL = $0 }
            case "max_session": integer(value, "credentials.max_session", in: 0...31_536_000).map { settings.maxSession = $0 }
            case "max_per_user": integer(value, "credentials.max_per_user", in: 1...10_000).map { settings.maxPerUser = $0 }
            default: integer(value, "credentials.leeway", in: 0...TokenVerifierConfiguration.maximumLeeway).map { settings.leeway = $0 }
            }
        }
    }

    mutating func broker(_ node: Node, into settings: inout BrokerSettings) {
        var tokenNode: Node?
        for (key, _, value) in entries(node, "broker", allowed: ["response_body", "allow_from", "token_sha256", "token"]) {
            switch key {
            case "response_body":
                guard let text = string(value, "broker.response_body") else { continue }
                guard let body = BrokerSettings.ResponseBody(rawValue: text) else {
                    error(value, "broker.response_body must be json or text, not '\(text.printable)'")
                    continue
                }
                settings.responseBody = body
            case "allow_from":
                for item in items(value, "broker.allow_from") {
                    guard let text = string(item, "each entry of broker.allow_from") else { continue }
                    do {
                        settings.access.allowFrom.append(try AddressRange(parsing: text))
                    } catch {
                        self.error(item, "broker.allow_from: \(error)")
                    }
                }
            default:
                if tokenNode != nil { error(value, "broker takes token_sha256 or token, not both") }
                tokenNode = value
                guard let text = string(value, "broker.\(key)") else { continue }
                if key == "token" {
                    guard text.utf8.count >= 16 else {
                        error(value, "broker.token must be at least 16 characters")
                        continue
                    }
                    settings.access.tokenSHA256 = Array(SHA256.hash(data: Data(text.utf8)))
                } else {
                    guard let bytes = Hex.bytes(text), bytes.count == 32 else {
                        error(value, "broker.token_sha256 must be 64 hex digits (mqtt-authd hash-key TOKEN prints it)")
                        continue
                    }
                    settings.access.tokenSHA256 = bytes
                }
            }
        }
    }

    mutating func rabbitMQ(_ node: Node, into settings: inout RabbitMQSettings) {
        for (key, _, value) in entries(node, "rabbitmq", allowed: ["vhost", "exchange"]) {
            guard let text = string(value, "rabbitmq.\(key)") else { continue }
            guard !text.isEmpty, !text.utf8.contains(0) else {
                error(value, "rabbitmq.\(key) must not be empty")
                continue
            }
            if key == "vhost" { settings.vhost = text } else { settings.exchange = text }
        }
    }

    mutating func verneMQ(_ node: Node, into settings: inout VerneMQSettings) {
        for (key, _, value) in entries(node, "vernemq", allowed: ["mountpoints", "acl_cache_seconds"]) {
            if key == "mountpoints" {
                settings.mountpoints = items(value, "vernemq.mountpoints").compactMap { string($0, "each entry of vernemq.mountpoints") }
            } else {
                integer(value, "vernemq.acl_cache_seconds", in: 0...60).map { settings.aclCache = $0 == 0 ? nil : $0 }
            }
        }
    }

    mutating func rateLimits(_ node: Node, into settings: inout RateLimitSettings) {
        for (key, _, value) in entries(node, "rate_limits", allowed: ["per_api_key", "per_client_ip"]) {
            guard let limit = rateLimit(value, "rate_limits.\(key)") else { continue }
            let setting = limit.rate == 0 ? nil : limit
            if key == "per_api_key" { settings.perAPIKey = setting } else { settings.perClientIP = setting }
        }
    }

    /// `{rate: R, burst: B}`: R tokens a second (0 turns the limit off), up to B at once.
    mutating func rateLimit(_ node: Node, _ what: String) -> RateLimiter.Limit? {
        var rate: Double?
        var burst: Int?
        for (key, _, value) in entries(node, what, allowed: ["rate", "burst"]) {
            guard let text = string(value, "\(what).\(key)") else { continue }
            if key == "rate" {
                guard let number = Double(text), number.isFinite, (0...1_000_000).contains(number) else {
                    error(value, "\(what).rate must be a number of requests per second from 0 (off) to 1000000, not '\(text.printable)'")
                    continue
                }
                rate = number
            } else {
                guard let number = Int(text), (1...1_000_000).contains(number) else {
                    error(value, "\(what).burst must be a whole number from 1 to 1000000, not '\(text.printable)'")
                    continue
                }
                burst = number
            }
        }
        guard let rate, let burst else {
            error(node, "\(what) needs both rate and burst, e.g. {rate: 10, burst: 20}")
            return nil
        }
        return RateLimiter.Limit(rate: rate, burst: burst)
    }
}
