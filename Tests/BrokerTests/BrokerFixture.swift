import AsyncHTTPClient
import Foundation
import MQTTAuthCore
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// A real `mqtt-authd` and a real Debian `mosquitto` loading our plugin, on free loopback
/// ports, sharing one config file (the daemon reads all of it, the plugin its rules).
final class BrokerFixture {
    static let apiKey = "sk_test_broker_fixture_key_0123"
    static let secret = "broker-test-jwt-secret-0123456789abcdef"
    static let projectURL = "https://broker.supabase.co"

    struct Credential {
        var username: String
        var password: String
        var expiresAt: Date
        var tokenID = ""
    }

    /// An admin key; tests that use it add it to the config with `adminKeysYAML`.
    static let adminKey = "adm_test_broker_fixture_0123456789"
    static let adminKeysYAML = """
        admin_keys:
          - {name: ops, key: "\(adminKey)"}
        """

    /// Calls the daemon directly with the admin key: `DELETE /v2/tokens/{id}` or a terminate.
    func admin(_ method: HTTPMethod, _ path: String, body: String = "") async throws -> Int {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(daemonPort)\(path)")
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(Self.adminKey)")
        if !body.isEmpty {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        return Int(try await http.execute(request, timeout: .seconds(10)).status.code)
    }

    let folder: TempFolder
    let configPath: String
    let daemonPort: Int
    let tcpPort: Int
    let webSocketPort: Int
    private(set) var daemon: DaemonProcess?
    private(set) var broker: BrokerProcess?
    private let http = HTTPClient(eventLoopGroupProvider: .singleton)
    let daemonYAML: String
    let mqttLogin: Bool
    let providerYAML: String

    /// Writes the config with `rules` (YAML list items) and starts the daemon, then the broker.
    /// `daemonYAML` is added to the daemon's config (top-level keys: the plugin reads only the
    /// rules).
    /// `mqttLogin` lets clients connect with the provider's access token as their password.
    /// `providerYAML` holds more keys of the provider (e.g. `attributes: {...}`).
    init(rules: String, superusers: [String] = [], pluginOptions: [String: String] = [:], exampleBroker: Bool = false, startBroker: Bool = true, daemonYAML: String = "", mqttLogin: Bool = false, providerYAML: String = "") throws {
        folder = try TempFolder("broker")
        configPath = folder.path + "/mqtt-authd.yml"
        daemonPort = try FreePort.next()
        tcpPort = try FreePort.next()
        webSocketPort = try FreePort.next()
        self.daemonYAML = daemonYAML
        self.mqttLogin = mqttLogin
        self.providerYAML = providerYAML
        try writeConfig(rules: rules, superusers: superusers)
        try startDaemon()
        guard startBroker else { return }
        try self.startBroker(config: exampleBroker
            ? Self.exampleBrokerConfig(daemonPort: daemonPort, tcpPort: tcpPort, webSocketPort: webSocketPort, configPath: configPath)
            : brokerConfig(pluginOptions: pluginOptions))
    }

    deinit {
        try? http.syncShutdown()
    }

    func writeConfig(rules: String, superusers: [String] = []) throws {
        let list = superusers.map { "\"\($0)\"" }.joined(separator: ", ")
        let yaml = """
            listen: "127.0.0.1:\(daemonPort)"
            database: "./state/store.sqlite"
            api_keys:
              - {name: backend, key: "\(Self.apiKey)"}
            providers:
              - name: supabase
                type: supabase
                project_url: "\(Self.projectURL)"
                jwt_secret: "\(Self.secret)"
                mqtt_login: \(mqttLogin)
                \(providerYAML)
            \(daemonYAML)
            superusers: [\(list)]
            acl:
              rules:
            \(rules.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            """
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    func startDaemon() throws {
        daemon = try DaemonProcess(config: configPath, logPath: folder.path + "/daemon.log")
    }

    /// Stops the daemon with SIGTERM and waits for it to exit.
    func stopDaemon() {
        daemon?.signal(SIGTERM)
        _ = daemon?.waitForExit()
        daemon = nil
    }

    /// The broker config: a TCP and a WebSocket listener, no anonymous access, our plugin.
    func brokerConfig(pluginOptions: [String: String]) -> String {
        var options = ["url": "http://127.0.0.1:\(daemonPort)", "config": configPath, "acl": "local", "timeout_ms": "1000"]
        options.merge(pluginOptions) { $1 }
        let pluginLines = options.keys.sorted().compactMap { key in
            options[key].map { $0.isEmpty ? nil : "plugin_opt_\(key) \($0)" } ?? nil
        }
        return ([
            "per_listener_settings false",
            "allow_anonymous false",
            "persistence false",
            "sys_interval 1",
            "log_dest stderr",
            "log_type all",
            getuid() == 0 ? "user root" : "",
            "plugin \(BrokerProcess.plugin ?? "/nonexistent/libMosquittoAuthPlugin.so")",
        ] + pluginLines + [
            "listener \(tcpPort) 127.0.0.1",
            "listener \(webSocketPort) 127.0.0.1",
            "protocol websockets",
        ]).joined(separator: "\n") + "\n"
    }

    func startBroker(config: String) throws {
        let path = try folder.write("mosquitto.conf", config)
        broker = try BrokerProcess(config: path, port: tcpPort, logPath: folder.path + "/mosquitto.log")
    }

    /// The repository's `mosquitto.conf.example`, with this fixture's ports and paths put in
    /// place of the installed ones. Each replaced line must be there, so that the test notices
    /// when the example changes.
    static func exampleBrokerConfig(daemonPort: Int, tcpPort: Int, webSocketPort: Int, configPath: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var text = try String(contentsOf: root.appendingPathComponent("mosquitto.conf.example"), encoding: .utf8)
        let replacements = [
            "listener 1883\n": "listener \(tcpPort) 127.0.0.1\n",
            "listener 18885\n": "listener \(webSocketPort) 127.0.0.1\n",
            "plugin /usr/local/lib/mqtt-authd/libMosquittoAuthPlugin.so\n": "plugin \(BrokerProcess.plugin ?? "/nonexistent")\n",
            "plugin_opt_url http://127.0.0.1:8080\n": "plugin_opt_url http://127.0.0.1:\(daemonPort)\n",
            "plugin_opt_config /etc/mqtt-authd/mqtt-authd.yml\n": "plugin_opt_config \(configPath)\n",
        ]
        for (installed, here) in replacements {
            guard text.contains(installed) else { throw DaemonFailure(message: "mosquitto.conf.example has no line \(installed)") }
            text = text.replacingOccurrences(of: installed, with: here)
        }
        return text + "log_dest stderr\n" + (getuid() == 0 ? "user root\n" : "")
    }

    /// A Supabase access token for `subject`, valid for `ttl` seconds from `issuedAt`.
    func token(subject: String, ttl: Int = 3600, issuedAt: Date = Date()) async throws -> String {
        try await DevToken.mint(
            secret: Array(Self.secret.utf8), issuer: Self.projectURL + "/auth/v1", subject: subject,
            email: "\(subject)@example.com", ttl: ttl, now: issuedAt
        )
    }

    /// Exchanges a fresh token for `subject` (or `token`) for MQTT credentials, as an app
    /// backend does.
    func credential(subject: String, ttl: Int? = nil, token given: String? = nil) async throws -> Credential {
        var token = given ?? ""
        if given == nil { token = try await self.token(subject: subject) }
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(daemonPort)/v2/tokens/exchange")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: "Bearer \(Self.apiKey)")
        let ttlField = ttl.map { #","ttl":\#($0)"# } ?? ""
        request.body = .bytes(ByteBuffer(string: #"{"provider":"supabase","token":"\#(token)"\#(ttlField)}"#))
        let response = try await http.execute(request, timeout: .seconds(10))
        let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
        try #require(response.status == .ok, "exchange failed: \(body)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let expiry = try #require(json["expires_at"] as? String)
        return Credential(
            username: try #require(json["mqtt_username"] as? String),
            password: try #require(json["mqtt_password"] as? String),
            expiresAt: try Date(expiry, strategy: .iso8601),
            tokenID: try #require(json["token_id"] as? String)
        )
    }

    /// A client connected with `credential`; the test fails if the broker refused it.
    func connectedClient(_ id: String, _ credential: Credential) throws -> MQTTTestClient {
        let client = MQTTTestClient(id: id)
        let code = client.connect(port: tcpPort, username: credential.username, password: credential.password)
        try #require(code == 0, "CONNACK \(String(describing: code)) for \(id)\n\(broker?.log.suffix(2000) ?? "")")
        return client
    }

    /// Sends the broker SIGHUP and waits for the plugin to report the outcome in the log.
    func reloadBroker(expecting text: String) -> Bool {
        let seen = broker?.log.components(separatedBy: text).count ?? 1
        broker?.signal(SIGHUP)
        return broker?.waitForLog(text, count: seen) ?? false
    }
}
