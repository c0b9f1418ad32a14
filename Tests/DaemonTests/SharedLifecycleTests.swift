import AsyncHTTPClient
import Foundation
import MQTTAuthCore
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// Refresh and revocation across two real daemons on one PostgreSQL database (README
/// "Refresh and revocation").
extension SharedDatabaseTests {
    /// The whole exchange or refresh answer, as JSON.
    private func credentialAnswer(_ port: Int, _ path: String, _ body: String) async throws -> [String: Any] {
        let (status, text) = try await http.post(port, path, body, key: DaemonTests.apiKey)
        #expect(status == 200, "\(path) answered \(status): \(text)")
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }

    private func delete(_ port: Int, _ tokenID: String) async throws -> Int {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v2/tokens/\(tokenID)")
        request.method = .DELETE
        request.headers.add(name: "Authorization", value: "Bearer \(DaemonTests.apiKey)")
        return Int(try await client.execute(request, timeout: .seconds(20)).status.code)
    }

    private static func credential(_ answer: [String: Any]) throws -> DaemonTests.Credential {
        (try #require(answer["mqtt_username"] as? String), try #require(answer["mqtt_password"] as? String))
    }

    @Test func refreshAndRevocationReachTheOtherDaemonAndSurviveKillNine() async throws {
        let cluster = try await PostgresCluster.sharedCluster()
        let config = try writeConfig("lifecycle.yml", cluster: cluster, database: try cluster.newDatabase())
        let a = try start(config, cluster: cluster, log: "lifecycle-a.log", level: "trace")
        var b = try start(config, cluster: cluster, log: "lifecycle-b.log", level: "trace")
        let token = try await DevToken.mint(secret: Array(DaemonTests.secret.utf8), issuer: DaemonTests.projectURL + "/auth/v1",
                                            subject: "alice", email: "alice@example.com", ttl: 3600, now: Date())
        let exchanged = try await credentialAnswer(a.port, "/v2/tokens/exchange", #"{"provider":"supabase","token":"\#(token)"}"#)
        let first = try Self.credential(exchanged)
        let firstID = try #require(exchanged["token_id"] as? String)

        // A refresh on A: the new password authenticates on B at once, and the old one still does.
        let refreshed = try await credentialAnswer(a.port, "/v2/tokens/refresh",
                                                   #"{"token_id":"\#(firstID)","current_token_password":"\#(first.password)"}"#)
        let second = try Self.credential(refreshed)
        let secondID = try #require(refreshed["token_id"] as? String)
        #expect(second.username == first.username)
        #expect(try await auth(b.port, second) == 200)
        #expect(try await auth(b.port, first) == 200)

        // A revocation on B: B refuses at once, A as soon as the change feed reaches it.
        #expect(try await auth(a.port, first) == 200, "A has the credential in memory")
        #expect(try await delete(b.port, firstID) == 200)
        #expect(try await auth(b.port, first) == 403)
        #expect(await eventually(seconds: 2) { (try? await self.auth(a.port, first)) == 403 }, "A still accepts a revoked credential")
        #expect(try await auth(a.port, second) == 200, "only the revoked credential ends")

        // kill -9 and a restart: the revocation holds, on the restarted daemon and the other.
        kill(b.processIdentifier, SIGKILL)
        _ = b.waitForExit()
        b = try start(config, cluster: cluster, log: "lifecycle-b2.log", level: "trace")
        #expect(try await auth(b.port, first) == 403)
        #expect(try await auth(b.port, second) == 200)
        #expect(try await auth(a.port, first) == 403)
        a.signal(SIGTERM)
        b.signal(SIGTERM)
        #expect(a.waitForExit() == 0 && b.waitForExit() == 0)
        for daemon in [a, b] {
            #expect(!daemon.log.contains(first.password) && !daemon.log.contains(second.password), "a password is in a log")
            #expect(!daemon.log.contains(DaemonTests.apiKey), "the API key is in a log")
        }
    }
}
