import AsyncHTTPClient
import Foundation
import MQTTAuthCore
import NIOCore
import TestSupport
import Testing

/// Stored API keys across two daemons on one PostgreSQL database, made and revoked with the
/// `mqtt-authd keys` command (README "Keys in the store").
extension SharedDatabaseTests {
    /// Runs the `mqtt-authd` binary to its end: its status, standard output and standard error.
    func runCLI(_ arguments: [String], cluster: PostgresCluster) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = DaemonProcess.binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["TEST_JWT_SECRET": DaemonTests.secret, "TEST_PG_PASSWORD": cluster.password]) { $1 }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Standard error is short; reading both to the end before waiting cannot block the child.
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stdout, stderr)
    }

    /// An exchange with `key`: its status.
    func exchange(_ port: Int, key: String) async throws -> Int {
        let token = try await DevToken.mint(secret: Array(DaemonTests.secret.utf8), issuer: DaemonTests.projectURL + "/auth/v1",
                                            subject: "key-user", email: "key-user@example.com", ttl: 3600, now: Date())
        return try await http.post(port, "/v2/tokens/exchange", #"{"provider":"supabase","token":"\#(token)"}"#, key: key).0
    }

    @Test func aKeyMadeWithTheCLIExchangesOnBothDaemonsAndARevokeReachesBoth() async throws {
        let cluster = try await PostgresCluster.sharedCluster()
        let database = try cluster.newDatabase()
        let config = try writeConfig("keys.yml", cluster: cluster, database: database)
        let a = try start(config, cluster: cluster, log: "keys-a.log", level: "trace")
        let b = try start(config, cluster: cluster, log: "keys-b.log", level: "trace")

        let created = try runCLI(["keys", "create", "--config", config, "--name", "backend-2"], cluster: cluster)
        #expect(created.status == 0, "\(created.stderr)")
        let lines = created.stdout.split(separator: "\n")
        #expect(lines.count == 1, "only the key on standard output")
        let key = String(try #require(lines.first))
        #expect(key.hasPrefix("sk_live_") && key.count == 51)
        #expect(created.stderr.contains("backend-2") && !created.stderr.contains(key))

        // B never saw the write: it learns the key from the change feed.
        #expect(await eventually(seconds: 2) { (try? await self.exchange(b.port, key: key)) == 200 })
        #expect(try await exchange(a.port, key: key) == 200)

        // A name that exists, stored or configured, exits 2 and the existing key stays.
        for name in ["backend-2", "backend"] {
            let again = try runCLI(["keys", "create", "--config", config, "--name", name, "--publishable"], cluster: cluster)
            #expect(again.status == 2, "\(name): \(again.stderr)")
            #expect(again.stdout.isEmpty)
        }
        #expect(try await exchange(b.port, key: key) == 200)

        let listed = try runCLI(["keys", "list", "--config", config], cluster: cluster)
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("backend-2") && listed.stdout.contains("secret"))
        #expect(listed.stdout.split(separator: "\n").count == 2, "a header and one key: \(listed.stdout)")

        let revoked = try runCLI(["keys", "revoke", "--config", config, "backend-2"], cluster: cluster)
        #expect(revoked.status == 0, "\(revoked.stderr)")
        for daemon in [a, b] {
            #expect(await eventually(seconds: 2) { (try? await self.exchange(daemon.port, key: key)) == 401 })
        }
        #expect(try await exchange(a.port, key: DaemonTests.apiKey) == 200, "the configured key still works")
        #expect(try runCLI(["keys", "revoke", "--config", config, "backend-2"], cluster: cluster).status == 1)

        a.signal(SIGTERM)
        b.signal(SIGTERM)
        #expect(a.waitForExit() == 0 && b.waitForExit() == 0)
        let hash = CredentialRules.hash(key).map { String(format: "%02x", $0) }.joined()
        for daemon in [a, b] {
            #expect(daemon.log.contains("backend-2"), "the key's name is logged")
            #expect(!daemon.log.contains(key), "a stored key is in a log")
            #expect(!daemon.log.contains(hash), "a stored key's hash is in a log")
            #expect(!daemon.log.contains(String(key.dropFirst(8))), "a stored key's random part is in a log")
        }
    }
}
