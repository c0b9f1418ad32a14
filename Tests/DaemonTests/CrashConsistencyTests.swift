import AsyncHTTPClient
import Foundation
import MQTTAuthCore
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

extension DaemonTests {
    /// One exchange for `subject` against the daemon on `port`: the credential on 200, nil on
    /// any other answer, and an error when the connection fails (the daemon was killed).
    typealias Credential = (username: String, password: String)

    static func exchange(_ client: HTTPClient, port: Int, subject: String) async throws -> Credential? {
        let token = try await DevToken.mint(secret: Array(secret.utf8), issuer: projectURL + "/auth/v1", subject: subject, email: "\(subject)@example.com", ttl: 3600, now: Date())
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v2/tokens/exchange")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        request.body = .bytes(ByteBuffer(string: #"{"provider":"supabase","token":"\#(token)"}"#))
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok,
              let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
              let username = json["mqtt_username"] as? String, let password = json["mqtt_password"] as? String
        else { return nil }
        return (username, password)
    }

    /// Four clients exchanging in a loop until the daemon stops answering; the credentials
    /// answered with 200.
    static func exchangeUntilKilled(_ client: HTTPClient, port: Int, round: Int) async -> [Credential] {
        await withTaskGroup(of: [Credential].self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var answered: [Credential] = []
                    for index in 0... {
                        do {
                            if let credential = try await exchange(client, port: port, subject: "crash-\(round)-\(worker)-\(index)") {
                                answered.append(credential)
                            }
                        } catch {
                            break
                        }
                    }
                    return answered
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
    }

    /// Crash consistency, the short version of scripts/crash.sh: concurrent exchanges, SIGKILL
    /// at a random moment, restart; every credential answered with 200 must still authenticate.
    @Test func concurrentExchangesSurviveKill9AtRandomMoments() async throws {
        var generator = SeededGenerator(seed: 20261130)
        var issued: [Credential] = []
        for round in 0..<3 {
            let daemon = try start()
            let port = daemon.port
            let client = self.client
            let delay = Double.random(in: 0.3...0.8, using: &generator)
            async let answered = Self.exchangeUntilKilled(client, port: port, round: round)
            try await Task.sleep(for: .seconds(delay))
            daemon.signal(SIGKILL)
            #expect(daemon.waitForExit() == SIGKILL)
            issued += await answered
        }
        #expect(issued.count >= 3, "exchanges answered before the kills")
        let restarted = try start()
        var lost = 0
        for (user, password) in issued where try await auth(restarted, user, password) != 200 {
            lost += 1
        }
        #expect(lost == 0, "\(lost) of \(issued.count) acknowledged credentials lost")
        restarted.signal(SIGTERM)
        #expect(restarted.waitForExit() == 0)
    }
}
