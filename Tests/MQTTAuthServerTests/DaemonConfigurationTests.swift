import Foundation
import MQTTAuthCore
import MQTTAuthServer
import TestSupport
import Testing

/// Configuration files written to a fresh folder and loaded, for the configuration suites.
enum ConfigFixture {
    /// Writes `yaml` (and `files`) to a fresh folder and loads it.
    static func load(_ yaml: String, files: [String: String] = [:], environment: [String: String] = [:]) throws -> DaemonConfiguration {
        let folder = try TempFolder("config")
        for (name, text) in files { try folder.write(name, text) }
        return try DaemonConfiguration.load(path: try folder.write("c.yml", yaml), environment: environment)
    }

    /// The diagnostics of a config that must fail, as `line: message`.
    static func errors(_ yaml: String, files: [String: String] = [:], environment: [String: String] = [:]) throws -> [String] {
        do {
            _ = try load(yaml, files: files, environment: environment)
        } catch let errors as ConfigErrors {
            return errors.diagnostics.map { "\($0.location.line.map(String.init) ?? "-"): \($0.message)" }
        }
        Issue.record("expected configuration errors")
        return []
    }
}

@Suite("Daemon configuration")
struct DaemonConfigurationTests {
    private func load(_ yaml: String, files: [String: String] = [:], environment: [String: String] = [:]) throws -> DaemonConfiguration {
        try ConfigFixture.load(yaml, files: files, environment: environment)
    }

    private func errors(_ yaml: String, files: [String: String] = [:], environment: [String: String] = [:]) throws -> [String] {
        try ConfigFixture.errors(yaml, files: files, environment: environment)
    }

    @Test func fullExample() throws {
        let configuration = try load(
            """
            listen: "[::1]:9090"
            database: "state/db.sqlite"
            api_keys:
              - name: backend
                key_sha256: "\(String(repeating: "ab", count: 32))"
              - name: dev
                key: "sk_test_123"
            providers:
              - name: supabase
                type: supabase
                project_url: "https://abc123.supabase.co/"
                jwt_secret: "${SUPABASE_JWT_SECRET}"
                username: email
                allow_anonymous: true
              - name: second
                type: supabase
                project_url: "http://127.0.0.1:54321"
                jwt_secret_file: secret.txt
                enabled: false
            credentials: {max_ttl: 600, max_per_user: 5, leeway: 10}
            broker: {response_body: text}
            superusers: ["ops"]
            acl:
              rules:
                - {user: "%", topic: "users/%u/#", permission: pubsub}
            """,
            files: ["secret.txt": "file-secret-of-at-least-32-bytes-length\n"],
            environment: ["SUPABASE_JWT_SECRET": "env-secret-of-at-least-32-bytes-length"]
        )
        #expect(configuration.listen == ListenAddress(host: "::1", port: 9090))
        #expect(configuration.database.hasSuffix("/state/db.sqlite"))
        #expect(configuration.apiKeys.map(\.name) == ["backend", "dev"])
        #expect(configuration.apiKeys[0].sha256 == Array(repeating: 0xAB, count: 32))
        #expect(configuration.providers.count == 2)
        let supabase = configuration.providers[0]
        #expect(supabase.projectURL == "https://abc123.supabase.co")
        #expect(supabase.issuer == "https://abc123.supabase.co/auth/v1")
        #expect(supabase.jwksURL == "https://abc123.supabase.co/auth/v1/.well-known/jwks.json")
        #expect(supabase.jwtSecret == Array("env-secret-of-at-least-32-bytes-length".utf8))
        #expect(supabase.username == .email)
        #expect(supabase.allowAnonymous)
        let second = configuration.providers[1]
        #expect(second.jwtSecret == Array("file-secret-of-at-least-32-bytes-length".utf8))
        #expect(!second.enabled)
        #expect(configuration.credentials == CredentialSettings(maxTTL: 600, maxPerUser: 5, leeway: 10))
        #expect(configuration.broker.responseBody == .text)
        #expect(configuration.acl.superusers == ["ops"])
        #expect(configuration.acl.rules.count == 1)
    }

    @Test func defaults() throws {
        let configuration = try load("providers: []\n")
        #expect(configuration.listen == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(configuration.database.hasSuffix("/var/mqtt-authd.sqlite"))
        #expect(configuration.credentials == CredentialSettings())
        #expect(configuration.broker.responseBody == .json)
    }

    @Test func everyErrorNamesItsLine() throws {
        let found = try errors(
            """
            listen: "localhost"
            databse: "x"
            api_keys:
              - name: a
                key_sha256: "abc"
              - key: "k"
            providers:
              - name: Supabase
                type: supabase
                project_url: "https://x.supabase.co"
              - name: p2
                type: firebase
                project_url: "https://x"
              - name: p3
                type: supabase
                project_url: "ftp://x"
                jwt_secret: "${MISSING_SECRET}"
                usernme: uuid
            credentials: {max_ttl: -1}
            broker: {response_body: xml}
            """
        )
        #expect(found == [
            "1: listen must be host:port (or [ipv6]:port), not 'localhost'",
            "2: unknown key 'databse' (known keys: acl, admin_keys, api_keys, broker, cors, credentials, database, database_ca, database_miss_lookups, database_pool_size, database_timeout, listen, providers, rabbitmq, rate_limits, superusers, tls, vernemq)",
            "5: key_sha256 must be 64 hex digits (mqtt-authd hash-key KEY prints it)",
            "4: api key 'a' needs key_sha256 (or key, for development)",
            "6: an api key needs a name",
            "8: provider name 'Supabase' must be lower-case",
            "11: provider 'p2' (firebase) needs project_id",
            "13: 'project_url' is not a key of type firebase",
            "17: jwt_secret: environment variable MISSING_SECRET is not set",
            "18: unknown key 'usernme' in a provider (known keys: algorithms, allow_anonymous, attributes, audience, authorized_parties, credential_ttl, domain, enabled, frontend_api, issuer, jwks_file, jwks_url, jwt_secret, jwt_secret_file, mqtt_login, name, project_id, project_url, type, username)",
            "16: project_url must be an http(s) URL, not 'ftp://x'",
            "19: credentials.max_ttl must be a whole number from 1 to 31536000, not '-1'",
            "20: broker.response_body must be json or text, not 'xml'",
        ].sorted { Int($0.prefix(while: \.isNumber))! < Int($1.prefix(while: \.isNumber))! })
    }

    @Test func providerKeysAreCheckedAtLoad() throws {
        let found = try errors(
            """
            providers:
              - name: short
                type: supabase
                project_url: "https://a.supabase.co"
                jwt_secret: "too-short"
              - name: plain
                type: supabase
                project_url: "http://a.example.com"
              - name: local
                type: supabase
                project_url: "http://127.0.0.1:54321"
              - name: redirected
                type: supabase
                project_url: "https://a.supabase.co"
                jwks_url: "http://keys.example.com/jwks.json"
              - {name: emptykeys, type: supabase, project_url: "https://b.supabase.co", jwks_file: empty.json}
            credentials: {leeway: 301}
            """,
            files: ["empty.json": #"{"keys":[]}"#]
        )
        #expect(found == [
            "2: provider 'short': jwt_secret is shorter than 32 bytes",
            "8: the JWKS URL 'http://a.example.com/auth/v1/.well-known/jwks.json' must use https (plain http only to 127.0.0.1, ::1 or localhost)",
            "15: the JWKS URL 'http://keys.example.com/jwks.json' must use https (plain http only to 127.0.0.1, ::1 or localhost)",
            "16: provider 'emptykeys': jwks_file has no usable signing key for RS256, ES256, EdDSA (with a kid)",
            "17: credentials.leeway must be a whole number from 0 to 300, not '301'",
        ])
    }

    @Test func aclErrorsAreReportedToo() throws {
        let found = try errors("acl:\n  rules:\n    - {user: \"%\", topic: \"a/#/b\", permission: pubsub}\n")
        #expect(found == ["3: invalid topic 'a/#/b': '#' must be a whole level and the last one"])
    }

    @Test func environmentExpansion() throws {
        let environment = ["A": "1", "B_2": "two"]
        let configuration = try load("database: \"${A}-${B_2}-$x\"\n", environment: environment)
        #expect(configuration.database.hasSuffix("/1-two-$x"))
        #expect(try errors("database: \"${A\"\n") == ["1: database: '${' without a closing '}'"])
        #expect(try errors("database: \"${1x}\"\n") == ["1: database: '${1x}' is not a variable name"])
    }
}
