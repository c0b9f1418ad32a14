import AsyncHTTPClient
import Foundation
import MQTTAuthCore
import NIOCore
import NIOHTTP1
import NIOSSL
import TestSupport
import Testing

/// The real binary: crash recovery, reload on SIGHUP, graceful stop, no secrets in logs, TLS.
@Suite("mqtt-authd process", .serialized)
final class DaemonTests {
    static let apiKey = "sk_test_process_key_0123456789"
    static let secret = "process-test-jwt-secret-0123456789abcdef"
    static let projectURL = "https://proc.supabase.co"

    let temporary: TempFolder
    var folder: String { temporary.path }
    let config: String
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(certificateVerification: .none))

    init() throws {
        temporary = try TempFolder("daemon")
        config = temporary.path + "/mqtt-authd.yml"
        try writeConfig(rules: #"- {user: "%", topic: "users/%u/#", permission: pubsub}"#)
    }

    deinit {
        try? client.syncShutdown()
    }

    func writeConfig(rules: String, tls: String = "") throws {
        let yaml = """
            listen: "127.0.0.1:0"
            database: "./state/store.sqlite"
            \(tls)
            api_keys:
              - {name: backend, key: "\(Self.apiKey)"}
            providers:
              - name: supabase
                type: supabase
                project_url: "\(Self.projectURL)"
                jwt_secret: "${TEST_JWT_SECRET}"
            superusers: ["ops"]
            acl:
              rules:
                \(rules)
            """
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
    }

    func start(_ extra: [String] = []) throws -> DaemonProcess {
        try DaemonProcess(config: config, logPath: folder + "/daemon.log", environment: ["TEST_JWT_SECRET": Self.secret], arguments: extra)
    }

    func post(_ daemon: DaemonProcess, _ path: String, _ body: String, key: String? = nil, scheme: String = "http") async throws -> (Int, String) {
        try await DaemonHTTP(client: client).post(daemon.port, path, body, key: key, scheme: scheme)
    }

    func token(subject: String, ttl: Int = 3600) async throws -> String {
        try await DevToken.mint(secret: Array(Self.secret.utf8), issuer: Self.projectURL + "/auth/v1", subject: subject, email: "\(subject)@example.com", ttl: ttl, now: Date())
    }

    /// Exchanges a token for `subject`; returns the username and password.
    func credential(_ daemon: DaemonProcess, subject: String) async throws -> (String, String) {
        let token = try await token(subject: subject)
        let (status, body) = try await post(daemon, "/v2/tokens/exchange", #"{"provider":"supabase","token":"\#(token)"}"#, key: Self.apiKey)
        try #require(status == 200, "\(body)")
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as! [String: Any]
        return (json["mqtt_username"] as! String, json["mqtt_password"] as! String)
    }

    func auth(_ daemon: DaemonProcess, _ user: String, _ password: String) async throws -> Int {
        try await post(daemon, "/mqtt/auth", #"{"username":"\#(user)","password":"\#(password)"}"#).0
    }

    func acl(_ daemon: DaemonProcess, _ user: String, _ topic: String, acc: Int = 2) async throws -> Int {
        try await post(daemon, "/mqtt/acl", #"{"username":"\#(user)","topic":"\#(topic)","acc":\#(acc)}"#).0
    }

    @Test func credentialsSurviveKill9() async throws {
        var issued: [(String, String)] = []
        do {
            let daemon = try start()
            for index in 0..<5 { issued.append(try await credential(daemon, subject: "crash-\(index)")) }
            daemon.signal(SIGKILL)
            #expect(daemon.waitForExit() == SIGKILL && daemon.ending == .signalled(SIGKILL))
        }
        let restarted = try start()
        for (user, password) in issued {
            #expect(try await auth(restarted, user, password) == 200, "credential of \(user) lost")
        }
        #expect(try await auth(restarted, issued[0].0, "wrong") == 403)
        restarted.signal(SIGTERM)
        #expect(restarted.waitForExit() == 0)
    }

    @Test func sighupReloadsAndKeepsTheOldConfigWhenBroken() async throws {
        let daemon = try start()
        #expect(try await acl(daemon, "alice", "users/alice/x") == 200)
        #expect(try await acl(daemon, "alice", "shared/x") == 403)

        try writeConfig(rules: #"- {user: "%", topic: "shared/#", permisson: pubsub}"#)
        daemon.signal(SIGHUP)
        #expect(daemon.waitForLog("reload refused"))
        #expect(daemon.log.contains("mqtt-authd.yml:14: unknown key 'permisson'"))
        #expect(try await acl(daemon, "alice", "users/alice/x") == 200, "the old rules keep serving")
        #expect(try await acl(daemon, "alice", "shared/x") == 403)

        try writeConfig(rules: #"- {user: "%", topic: "shared/#", permission: pubsub}"#)
        daemon.signal(SIGHUP)
        #expect(daemon.waitForLog("configuration reloaded"))
        #expect(try await acl(daemon, "alice", "shared/x") == 200)
        #expect(try await acl(daemon, "alice", "users/alice/x") == 403)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
    }

    /// No password, token, API key or JWT secret in the log at the most verbose level, nor in
    /// `/metrics`, whichever endpoint was called and however.
    @Test func noSecretInDebugLogs() async throws {
        let daemon = try start(["--log-level", "trace"])
        let token = try await token(subject: "logged-user")
        let (status, body) = try await post(daemon, "/v2/tokens/exchange", #"{"provider":"supabase","token":"\#(token)"}"#, key: Self.apiKey)
        #expect(status == 200)
        let password = (try JSONSerialization.jsonObject(with: Data(body.utf8)) as! [String: Any])["mqtt_password"] as! String
        #expect(try await auth(daemon, "logged-user", password) == 200)
        #expect(try await auth(daemon, "logged-user", "wrong-password-guess") == 403)
        _ = try await post(daemon, "/v2/tokens/exchange", #"{"provider":"supabase","token":"\#(token)x"}"#, key: Self.apiKey)
        _ = try await post(daemon, "/v2/tokens/exchange", "{}", key: "sk_guess")
        // Every other endpoint, with the password in every shape a broker sends it.
        #expect(try await post(daemon, "/mqtt/superuser", #"{"username":"logged-user","password":"\#(password)"}"#).0 == 403)
        #expect(try await acl(daemon, "logged-user", "users/logged-user/x") == 200)
        #expect(try await post(daemon, "/emqx/authn", #"{"username":"logged-user","password":"\#(password)","clientid":"c"}"#).0 == 200)
        #expect(try await post(daemon, "/emqx/authn", #"{"username":"logged-user","password":"wrong-password-guess","clientid":"c"}"#).0 == 200)
        #expect(try await post(daemon, "/emqx/authz", #"{"username":"logged-user","clientid":"c","topic":"users/logged-user/x","action":"publish"}"#).0 == 200)
        let form = "username=logged-user&password=\(password)&clientid=c&acc=-1"
        #expect(try RawHTTP.exchange(port: daemon.port, "POST /mqtt/auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(form.utf8.count)\r\nConnection: close\r\n\r\n\(form)") { $0.contains("\r\n\r\n") }.hasPrefix("HTTP/1.1 200"))
        #expect(try RawHTTP.exchange(port: daemon.port, "GET /mqtt/auth?\(form) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") { $0.contains("\r\n\r\n") }.hasPrefix("HTTP/1.1 200"))
        let metrics = try RawHTTP.exchange(port: daemon.port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") { _ in false }
        #expect(metrics.contains("mqtt_authd_http_requests_total"), "the metrics were fetched at all")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        let log = daemon.log
        #expect(log.contains("issued MQTT credential"), "the log was captured at all")
        for secret in [password, token, String(token.split(separator: ".")[2]), Self.apiKey, Self.secret, "wrong-password-guess", "sk_guess"] {
            #expect(!log.contains(secret), "a secret leaked into the log")
            #expect(!metrics.contains(secret), "a secret leaked into /metrics")
        }
    }

    @Test func servesHTTPSWithASelfSignedCertificate() async throws {
        let certificate = folder + "/cert.pem"
        let key = folder + "/key.pem"
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                             "-keyout", key, "-out", certificate, "-days", "1", "-subj", "/CN=127.0.0.1"]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0)
        try writeConfig(rules: #"- {user: "%", topic: "users/%u/#", permission: pubsub}"#, tls: "tls: {certificate: cert.pem, private_key: key.pem}")
        let daemon = try start()
        let (status, _) = try await post(daemon, "/mqtt/acl", #"{"username":"a","topic":"users/a/x","acc":2}"#, scheme: "https")
        #expect(status == 200)
        await #expect(throws: (any Error).self) {
            _ = try await self.post(daemon, "/mqtt/acl", "{}", scheme: "http")
        }
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
    }

    /// A broker request pipelined behind one that goes to the router must be answered after it.
    @Test func pipelinedResponsesKeepTheirOrder() async throws {
        let daemon = try start()
        let token = try await token(subject: "pipelined")
        let exchange = #"{"provider":"supabase","token":"\#(token)"}"#
        let acl = #"{"username":"pipelined","topic":"users/pipelined/x","acc":2}"#
        let requests =
            "POST /v2/tokens/exchange HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(Self.apiKey)\r\n" +
            "Content-Type: application/json\r\nContent-Length: \(exchange.utf8.count)\r\n\r\n\(exchange)" +
            "POST /mqtt/acl HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(acl.utf8.count)\r\n\r\n\(acl)" +
            "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        let answer = try RawHTTP.exchange(port: daemon.port, requests) { $0.components(separatedBy: "HTTP/1.1 ").count > 3 }
        let statuses = answer.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(3)) }
        #expect(statuses == ["200", "200", "200"], "\(answer)")
        let firstBody = answer.components(separatedBy: "HTTP/1.1 ")[1]
        #expect(firstBody.contains("mqtt_password"), "the exchange answer comes first")
        #expect(answer.components(separatedBy: "HTTP/1.1 ")[2].contains(#""ok":true"#))
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
    }

    @Test func badConfigExitsTwoNamingTheLine() throws {
        try writeConfig(rules: #"- {user: "%", topic: "a/#/b", permission: pubsub}"#)
        let process = Process()
        process.executableURL = DaemonProcess.binary
        process.arguments = ["--config", config]
        let pipe = Pipe()
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 2)
        #expect(output.contains("mqtt-authd.yml:14: invalid topic 'a/#/b'"), "\(output)")
    }
}
