import AsyncHTTPClient
import Foundation
import MQTTAuthCore
import NIOCore
import NIOHTTP1
import TestSupport
import Synchronization
import Testing

/// Several real daemons on one PostgreSQL database (docs/architecture.md §9, README "Running
/// several daemons"), and how a daemon behaves when that database goes away.
@Suite("mqtt-authd on PostgreSQL", .serialized)
final class SharedDatabaseTests {
    let temporary: TempFolder
    let client = HTTPClient(eventLoopGroupProvider: .singleton)

    init() throws {
        temporary = try TempFolder("shared")
    }

    deinit {
        try? client.syncShutdown()
    }

    /// A config for `database` on `cluster`, its password read from the environment.
    func writeConfig(_ name: String, cluster: PostgresCluster, database: String, extra: String = "", username: String = "uuid") throws -> String {
        let url = cluster.url(database: database, password: "${TEST_PG_PASSWORD}")
        let yaml = """
            listen: "127.0.0.1:0"
            database: "\(url)"
            \(extra)
            api_keys:
              - {name: backend, key: "\(DaemonTests.apiKey)"}
            providers:
              - name: supabase
                type: supabase
                project_url: "\(DaemonTests.projectURL)"
                jwt_secret: "${TEST_JWT_SECRET}"
                username: \(username)
            acl:
              rules:
                - {user: "%", topic: "users/%u/#", permission: pubsub}
            """
        return try temporary.write(name, yaml)
    }

    func start(_ config: String, cluster: PostgresCluster, log: String, level: String = "info") throws -> DaemonProcess {
        try DaemonProcess(
            config: config, logPath: temporary.path + "/" + log,
            environment: ["TEST_JWT_SECRET": DaemonTests.secret, "TEST_PG_PASSWORD": cluster.password],
            arguments: ["--log-level", level]
        )
    }

    var http: DaemonHTTP { DaemonHTTP(client: client) }
    func exchange(_ port: Int, subject: String) async throws -> (status: Int, credential: DaemonTests.Credential?) { try await http.exchange(port, subject: subject) }
    func auth(_ port: Int, _ credential: DaemonTests.Credential) async throws -> Int { try await http.auth(port, credential) }
    func health(_ port: Int) async throws -> (Int, String) { try await http.health(port) }

    @Test func aCredentialFromOneDaemonAuthenticatesAtTheOtherOnTheNextRequest() async throws {
        let cluster = try await PostgresCluster.sharedCluster()
        let database = try cluster.newDatabase()
        let config = try writeConfig("two.yml", cluster: cluster, database: database)
        let a = try start(config, cluster: cluster, log: "a.log", level: "trace")
        let b = try start(config, cluster: cluster, log: "b.log", level: "trace")
        for index in 0..<20 {
            let (status, credential) = try await exchange(index % 2 == 0 ? a.port : b.port, subject: "user-\(index)")
            let issued = try #require(credential, "exchange answered \(status)")
            #expect(try await auth(index % 2 == 0 ? b.port : a.port, issued) == 200, "credential \(index) refused at the other daemon")
            #expect(try await auth(b.port, (issued.username, CredentialRules.newPassword())) == 403)
        }
        for daemon in [a, b] {
            let (status, body) = try await health(daemon.port)
            #expect(status == 200 && body.contains(#""database":"ok""#), "\(body)")
        }
        a.signal(SIGTERM)
        b.signal(SIGTERM)
        #expect(a.waitForExit() == 0 && b.waitForExit() == 0)
        for daemon in [a, b] {
            #expect(!daemon.log.contains(cluster.password), "the database password is in a log")
            #expect(daemon.log.contains("postgres://authd:***@127.0.0.1:\(cluster.port)/\(database)"))
        }
    }

    @Test func racingExchangesOnTwoDaemonsNeverGiveTwoIdentitiesOneName() async throws {
        let cluster = try await PostgresCluster.sharedCluster()
        let config = try writeConfig("race.yml", cluster: cluster, database: try cluster.newDatabase(), extra: "credentials: {max_per_user: 2}", username: "email")
        let a = try start(config, cluster: cluster, log: "race-a.log")
        let b = try start(config, cluster: cluster, log: "race-b.log")
        let http = self.http
        let ports = [a.port, b.port]
        // 100 identities with one email address, each exchanging on both daemons at once.
        let answers = try await withThrowingTaskGroup(of: (String, Int, DaemonTests.Credential?).self) { group in
            for index in 0..<100 {
                for port in ports {
                    group.addTask {
                        let (status, credential) = try await http.exchange(port, subject: "racer-\(index)", email: "Same.Person@example.com")
                        return ("racer-\(index)", status, credential)
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.allSatisfy { $0.1 == 200 }, "\(answers.map(\.1).filter { $0 != 200 })")
        var names: [String: Set<String>] = [:]
        for (subject, _, credential) in answers { if let credential { names[subject, default: []].insert(credential.username) } }
        #expect(names.values.allSatisfy { $0.count == 1 }, "an identity got two names")
        #expect(Set(names.values.compactMap(\.first)).count == 100, "two identities share a name")
        #expect(names.values.contains(["same_person_example_com"]))
        // Each credential works at both daemons; then max_per_user holds across them.
        for (_, _, credential) in answers.prefix(20) {
            let credential = try #require(credential)
            for port in ports { #expect(try await auth(port, credential) == 200) }
        }
        var issued: [DaemonTests.Credential] = []
        for round in 0..<3 {
            issued.append(try #require(try await http.exchange(ports[round % 2], subject: "capped", email: "capped@example.com").credential))
        }
        for port in ports {
            // The other daemon's memory follows within a second (the change feed).
            var status = 0
            for _ in 0..<50 {
                status = try await auth(port, issued[0])
                if status == 403 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(status == 403, "the oldest of three with max_per_user 2 is dropped everywhere")
            #expect(try await auth(port, issued[2]) == 200)
        }
        a.signal(SIGTERM)
        b.signal(SIGTERM)
        #expect(a.waitForExit() == 0 && b.waitForExit() == 0)
    }

    @Test func everyAnsweredCredentialSurvivesKill9OfOneDaemon() async throws {
        let cluster = try await PostgresCluster.sharedCluster()
        let config = try writeConfig("kill.yml", cluster: cluster, database: try cluster.newDatabase())
        let victim = try start(config, cluster: cluster, log: "victim.log")
        let survivor = try start(config, cluster: cluster, log: "survivor.log")
        let (victimPort, survivorPort, victimPID) = (victim.port, survivor.port, victim.processIdentifier)
        let killed = ManagedFlag()
        let http = self.http
        let answered = await withTaskGroup(of: [DaemonTests.Credential].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var answered: [DaemonTests.Credential] = []
                    let port = worker % 2 == 0 ? victimPort : survivorPort
                    for index in 0..<400 {
                        if port == survivorPort, killed.isSet, index > 20 { break }
                        guard let (_, credential) = try? await http.exchange(port, subject: "k-\(worker)-\(index)") else { break }
                        if let credential { answered.append(credential) }
                    }
                    return answered
                }
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(Int.random(in: 400...900)))
                kill(victimPID, SIGKILL)
                killed.set()
                return []
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(victim.waitForExit() == SIGKILL)
        #expect(answered.count >= 8, "exchanges answered before the kill")
        var lost = 0
        for credential in answered where try await auth(survivorPort, credential) != 200 { lost += 1 }
        #expect(lost == 0, "\(lost) of \(answered.count) answered credentials refused at the survivor")
        survivor.signal(SIGTERM)
        #expect(survivor.waitForExit() == 0)
    }

    @Test func postgresStoppedAndStartedUnderLoad() async throws {
        let cluster = try PostgresCluster()
        defer { cluster.stop() }
        let config = try writeConfig("outage.yml", cluster: cluster, database: try cluster.newDatabase(), extra: "database_timeout: 2")
        let daemon = try start(config, cluster: cluster, log: "outage.log")
        let port = daemon.port
        let known = try #require(try await exchange(port, subject: "before").credential)

        try cluster.stopServer()
        let started = ContinuousClock.now
        let http = self.http
        let statuses = await withTaskGroup(of: Int.self) { group in
            for index in 0..<8 {
                group.addTask { (try? await http.exchange(port, subject: "during-\(index)").status) ?? -1 }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(ContinuousClock.now - started < .seconds(30), "exchanges must not hang")
        #expect(statuses.allSatisfy { $0 == 503 }, "\(statuses)")
        #expect(try await auth(port, known) == 200, "a known credential is answered from memory")
        #expect(try await auth(port, ("before", CredentialRules.newPassword())) == 403)
        #expect(try await auth(port, ("stranger", CredentialRules.newPassword())) == 403)
        let (status, body) = try await health(port)
        #expect(status == 200 && body.contains(#""database":"unreachable""#), "\(body)")

        try cluster.start()
        var recovered: DaemonTests.Credential?
        for _ in 0..<100 where recovered == nil {
            recovered = try await exchange(port, subject: "after").credential
            if recovered == nil { try await Task.sleep(for: .milliseconds(200)) }
        }
        let after = try #require(recovered, "exchanges work again without a restart")
        #expect(try await auth(port, after) == 200)
        #expect(try await auth(port, known) == 200)
        let (_, healed) = try await health(port)
        #expect(healed.contains(#""database":"ok""#), "\(healed)")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        #expect(!daemon.log.contains(cluster.password))
    }

    @Test func aDatabaseThatCannotBeUsedStopsTheStartWithTheReason() async throws {
        let cluster = try await PostgresCluster.sharedCluster()
        let database = try cluster.newDatabase()
        let wrong = "wrong-\(UUID().uuidString)"
        let cases: [(yaml: String, expected: String)] = [
            (cluster.url(database: database, password: wrong), "password authentication failed"),
            ("postgres://authd:\(wrong)@127.0.0.1:\(try FreePort.next())/db?sslmode=disable", "onnect"),
            ("postgres://authd:\(wrong)@127.0.0.1:\(cluster.port)/db?sslmode=sometimes", "sslmode must be one of"),
        ]
        for (index, (url, expected)) in cases.enumerated() {
            let config = try temporary.write("bad-\(index).yml", """
                listen: "127.0.0.1:0"
                database: "\(url)"
                """)
            let process = try LoggedProcess(executable: DaemonProcess.binary, arguments: ["--config", config], logPath: temporary.path + "/bad-\(index).log")
            #expect(process.waitForExit(seconds: 60) == 2, "\(process.log)")
            #expect(process.log.contains(expected), "\(process.log)")
            #expect(!process.log.contains(wrong), "the password is in the message")
        }
    }

    @Test func aReloadThatChangesTheDatabaseIsRefused() async throws {
        let cluster = try await PostgresCluster.sharedCluster()
        let config = try writeConfig("reload.yml", cluster: cluster, database: try cluster.newDatabase())
        let daemon = try start(config, cluster: cluster, log: "reload.log")
        let issued = try #require(try await exchange(daemon.port, subject: "stays").credential)
        _ = try writeConfig("reload.yml", cluster: cluster, database: try cluster.newDatabase())
        daemon.signal(SIGHUP)
        #expect(daemon.waitForLog("reload refused: the database settings changed"))
        #expect(try await auth(daemon.port, issued) == 200)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
    }
}

/// Exchanges and broker checks against a daemon's port.
struct DaemonHTTP: Sendable {
    let client: HTTPClient

    func exchange(_ port: Int, subject: String, email: String? = nil) async throws -> (status: Int, credential: DaemonTests.Credential?) {
        let token = try await DevToken.mint(secret: Array(DaemonTests.secret.utf8), issuer: DaemonTests.projectURL + "/auth/v1", subject: subject, email: email ?? "\(subject)@example.com", ttl: 3600, now: Date())
        let (status, body) = try await post(port, "/v2/tokens/exchange", #"{"provider":"supabase","token":"\#(token)"}"#, key: DaemonTests.apiKey)
        guard status == 200, let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
              let username = json["mqtt_username"] as? String, let password = json["mqtt_password"] as? String
        else { return (status, nil) }
        return (status, (username, password))
    }

    func post(_ port: Int, _ path: String, _ body: String, key: String? = nil, scheme: String = "http") async throws -> (Int, String) {
        var request = HTTPClientRequest(url: "\(scheme)://127.0.0.1:\(port)\(path)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(20))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: bytes))
    }

    func auth(_ port: Int, _ credential: DaemonTests.Credential) async throws -> Int {
        try await post(port, "/mqtt/auth", #"{"username":"\#(credential.username)","password":"\#(credential.password)"}"#).0
    }

    func health(_ port: Int) async throws -> (Int, String) {
        let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(10))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 4096)))
    }
}

/// A flag set once, read from any task.
final class ManagedFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
