import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MQTTAuthCore
import MQTTAuthServer
import MQTTAuthStore
import NIOCore
import Synchronization
import TestSupport

/// A daemon's parts on a temporary folder: a config file, a store, a runtime, a fixed clock.
final class ServerFixture: Sendable {
    static let apiKey = "sk_test_router"
    static let secret = "router-test-jwt-secret-0123456789abcdef"
    static let projectURL = "https://abc123.supabase.co"

    let folder: TempFolder
    let configPath: String
    let parts: ServerParts
    let now: Date
    /// The daemon's clock: `now` until a test moves it.
    let clock: TestClock

    /// `extraYAML` is appended to a config with one Supabase provider (HS256) and one API key.
    /// `brokerYAML` holds more lines of the `broker` section, indented by two spaces.
    /// `providersYAML` holds more entries of `providers`, indented by two spaces, and `files`
    /// are written beside the config first (a `jwks_file`, say). `apiKeysYAML` holds more
    /// entries of `api_keys`, and `credentialsYAML` more lines of `credentials`, both indented
    /// by two spaces.
    init(
        extraYAML: String = "", responseBody: String = "json", brokerYAML: String = "",
        providersYAML: String = "", apiKeysYAML: String = "", files: [String: Data] = [:], credentialsYAML: String = ""
    ) throws {
        folder = try TempFolder("server")
        configPath = folder.path + "/mqtt-authd.yml"
        for (name, contents) in files {
            try contents.write(to: URL(fileURLWithPath: folder.path + "/" + name))
        }
        let yaml = """
            listen: "127.0.0.1:0"
            database: "./var/test.sqlite"
            api_keys:
              - name: backend
                key: "\(Self.apiKey)"
            \(apiKeysYAML)
            providers:
              - name: supabase
                type: supabase
                project_url: "\(Self.projectURL)"
                jwt_secret: "\(Self.secret)"
              - name: off
                type: supabase
                project_url: "https://off.supabase.co"
                jwt_secret: "another-secret-at-least-32-bytes-long"
                enabled: false
            \(providersYAML)
            credentials:
              max_ttl: 7200
              max_per_user: 3
            \(credentialsYAML)
            broker:
              response_body: \(responseBody)
            \(brokerYAML)
            superusers: ["ops"]
            acl:
              rules:
                - user: "%"
                  topic: "users/%u/#"
                  permission: pubsub
            \(extraYAML)
            """
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
        let configuration = try DaemonConfiguration.load(path: configPath)
        let now = Date(timeIntervalSince1970: 1_900_000_000)
        self.now = now
        let clock = TestClock(now)
        self.clock = clock
        let store = try SQLiteCredentialStore(path: configuration.database, logger: Logger(label: "test"), now: now)
        parts = ServerParts(
            runtime: RuntimeBox(Server.runtime(configuration, now: { clock.now }, storedKeys: store)),
            store: store,
            metrics: ServerMetrics(),
            now: { clock.now }
        )
    }

    var application: some ApplicationProtocol {
        Application(router: Server.router(parts))
    }

    /// The daemon's whole HTTP server, event-loop fast path for the broker endpoints included,
    /// for `.live` tests on a real socket.
    var server: some ApplicationProtocol {
        get throws { try server(idleTimeout: Server.idleTimeout) }
    }

    func server(idleTimeout: TimeAmount) throws -> some ApplicationProtocol {
        try Server.application(
            try DaemonConfiguration.load(path: configPath),
            parts: parts,
            services: [],
            logger: Logger(label: "test"),
            idleTimeout: idleTimeout
        )
    }

    /// A Supabase-shaped token for `subject`, issued `age` seconds before the fixture's clock
    /// and valid for `ttl` seconds from then.
    func token(
        subject: String = "8d0fd2b3-9ca7-4c35-a4d4-6d6a1f6b1e11",
        email: String = "John.Doe@example.com",
        ttl: Int = 3600,
        age: Int = 0,
        secret: String = secret
    ) async throws -> String {
        try await DevToken.mint(
            secret: Array(secret.utf8),
            issuer: Self.projectURL + "/auth/v1",
            subject: subject,
            email: email,
            ttl: ttl,
            now: now.addingTimeInterval(-TimeInterval(age))
        )
    }
}

/// A clock a test sets.
final class TestClock: Sendable {
    private let time: Mutex<Date>

    init(_ start: Date) { time = Mutex(start) }

    var now: Date { time.withLock { $0 } }

    func set(_ date: Date) { time.withLock { $0 = date } }
}

extension TestClientProtocol {
    /// POSTs a JSON body to the token exchange with the fixture's API key, and `origin` as
    /// the `Origin` header when given.
    func exchange(_ json: String, key: String? = ServerFixture.apiKey, origin: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let key { headers[.authorization] = "Bearer \(key)" }
        if let origin { headers[.origin] = origin }
        return try await execute(uri: "/v2/tokens/exchange", method: .post, headers: headers, body: ByteBuffer(string: json))
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    /// The body as a JSON object.
    func json() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] ?? [:]
    }
}
