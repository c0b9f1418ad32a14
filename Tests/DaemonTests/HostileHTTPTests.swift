import Foundation
import TestSupport
import Testing

/// Hostile HTTP against the real daemon: each case states what it must get (a status, or the
/// connection closed), and `/healthz` must answer after every one.
@Suite("Hostile HTTP", .serialized)
final class HostileHTTPTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var request: [UInt8]
        /// Acceptable status codes; "closed" when the daemon may close without answering.
        var expected: Set<String>
        var testDescription: String { name }
    }

    static func post(_ path: String, _ body: [UInt8], contentType: String = "application/json", extra: String = "") -> [UInt8] {
        Array("POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n\(extra)\r\n".utf8) + body
    }

    static func post(_ path: String, _ body: String, contentType: String = "application/json") -> [UInt8] {
        post(path, Array(body.utf8), contentType: contentType)
    }

    static let cases: [Case] = [
        Case(name: "body over the limit on /mqtt/auth", request: post("/mqtt/auth", String(repeating: "x", count: 70_000)), expected: ["413"]),
        Case(name: "body over the limit on the exchange", request: post("/v2/tokens/exchange", String(repeating: "x", count: 70_000)), expected: ["413", "401"]),
        Case(name: "2 MB header", request: Array("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 2_000_000))\r\n\r\n".utf8), expected: ["431", "400", "closed"]),
        Case(name: "negative Content-Length", request: Array("POST /mqtt/auth HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}".utf8), expected: ["400", "closed"]),
        Case(name: "Content-Length shorter than the body", request: Array("POST /mqtt/auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}garbage-that-is-not-a-request\r\n\r\n".utf8), expected: ["400", "closed"]),
        Case(name: "two Content-Lengths", request: Array("POST /mqtt/auth HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x".utf8), expected: ["400", "closed"]),
        Case(name: "invalid UTF-8 in a JSON field", request: post("/mqtt/auth", Array(#"{"username":""#.utf8) + [0xFF, 0xFE, 0xC0] + Array(#"","password":"x"}"#.utf8)), expected: ["400"]),
        Case(name: "invalid UTF-8 in a form field", request: post("/mqtt/acl", Array("username=a%FF%FEb&topic=x&acc=1".utf8), contentType: "application/x-www-form-urlencoded"), expected: ["400"]),
        Case(name: "NUL in a JSON field", request: post("/mqtt/acl", #"{"username":"a\u0000b","topic":"users/a/x","acc":1}"#), expected: ["400", "403"]),
        Case(name: "NUL in a topic", request: post("/mqtt/acl", #"{"username":"a","topic":"users/a\u0000/x","acc":1}"#), expected: ["400", "403"]),
        Case(name: "100,000-level topic", request: post("/mqtt/acl", #"{"username":"a","topic":"\#(String(repeating: "/", count: 99_999))","acc":1}"#), expected: ["400", "403", "413"]),
        Case(name: "30,000-level topic within the limit", request: post("/mqtt/acl", #"{"username":"a","topic":"users/a/\#(String(repeating: "/", count: 30_000))","acc":1}"#), expected: ["200", "403"]),
        Case(name: "JSON nested 30,000 deep", request: post("/mqtt/acl", String(repeating: "[", count: 30_000) + String(repeating: "]", count: 30_000)), expected: ["400"]),
        Case(name: "JSON nested 100,000 deep (over the body limit)", request: post("/mqtt/auth", String(repeating: "[", count: 100_000)), expected: ["413"]),
        Case(name: "JSON objects nested 12,000 deep", request: post("/mqtt/auth", String(repeating: "{\"a\":", count: 12_000)), expected: ["400"]),
        Case(name: "exchange JSON nested 30,000 deep", request: post("/v2/tokens/exchange", String(repeating: "[", count: 30_000)), expected: ["400", "401"]),
        Case(name: "form body full of bad escapes", request: post("/mqtt/auth", "username=%zz%&password=%%%25%G1&clientid=%", contentType: "application/x-www-form-urlencoded"), expected: ["400"]),
        Case(name: "acc out of range", request: post("/mqtt/acl", #"{"username":"a","topic":"users/a/x","acc":99}"#), expected: ["400"]),
        Case(name: "acc negative", request: post("/mqtt/acl", #"{"username":"a","topic":"users/a/x","acc":-7}"#), expected: ["400"]),
        Case(name: "acc not a number", request: post("/mqtt/acl", #"{"username":"a","topic":"users/a/x","acc":"write"}"#), expected: ["400"]),
        Case(name: "acc a huge number", request: post("/mqtt/acl", #"{"username":"a","topic":"users/a/x","acc":1e400}"#), expected: ["400"]),
        Case(name: "unknown path", request: Array("GET /admin HTTP/1.1\r\nHost: x\r\n\r\n".utf8), expected: ["404"]),
        Case(name: "wrong method on the exchange", request: Array("GET /v2/tokens/exchange HTTP/1.1\r\nHost: x\r\n\r\n".utf8), expected: ["404", "405"]),
        Case(name: "wrong method on a broker endpoint", request: Array("DELETE /mqtt/auth HTTP/1.1\r\nHost: x\r\n\r\n".utf8), expected: ["404", "405"]),
        Case(name: "not HTTP at all", request: Array("\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\u{00}hello\r\n\r\n".utf8), expected: ["400", "closed"]),
        Case(name: "HTTP/1.0", request: Array("GET /healthz HTTP/1.0\r\n\r\n".utf8), expected: ["200"]),
        Case(name: "HTTP/1.0 broker request", request: Array("POST /mqtt/acl HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: 44\r\n\r\n{\"username\":\"a\",\"topic\":\"users/a/x\",\"acc\":2}".utf8), expected: ["200"]),
    ]

    let folder: TempFolder
    let daemon: DaemonProcess

    init() throws {
        folder = try TempFolder("hostile")
        let config = try folder.write("mqtt-authd.yml", """
            listen: "127.0.0.1:0"
            database: "./state/store.sqlite"
            api_keys: [{name: backend, key: "sk_test_hostile_key"}]
            providers:
              - {name: supabase, type: supabase, project_url: "https://hostile.supabase.co", jwt_secret: "hostile-jwt-secret-0123456789abcdef"}
            rate_limits: {per_client_ip: {rate: 0, burst: 1}}
            acl:
              rules:
                - {user: "%", topic: "users/%u/#", permission: pubsub}
            """)
        daemon = try DaemonProcess(config: config, logPath: folder.path + "/daemon.log")
    }

    deinit {
        daemon.signal(SIGTERM)
        _ = daemon.waitForExit()
    }

    /// The status of the first answer, or "closed" when the daemon closed without one.
    static func status(of answer: String) -> String {
        guard answer.hasPrefix("HTTP/1.") else { return answer.isEmpty ? "closed" : "garbage: \(answer.prefix(40))" }
        return String(answer.dropFirst(9).prefix(3))
    }

    func healthy() throws -> Bool {
        let answer = try RawHTTP.exchange(port: daemon.port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", seconds: 5) { $0.contains(#""database":"ok"}"#) }
        return answer.hasPrefix("HTTP/1.1 200")
    }

    @Test(arguments: cases)
    func answersAndStaysUp(_ testCase: Case) throws {
        let answer = try RawHTTP.exchange(port: daemon.port, bytes: testCase.request, seconds: 5) { $0.contains("\r\n\r\n") && $0.hasPrefix("HTTP/1.") }
        let status = Self.status(of: answer)
        #expect(testCase.expected.contains(status), "\(testCase.name): got \(status)")
        #expect(!status.hasPrefix("5"))
        #expect(try healthy(), "/healthz after \(testCase.name)")
        #expect(daemon.isRunning)
    }

    @Test func errorsOnBrokerEndpointsAreJSON() throws {
        let answer = try RawHTTP.exchange(port: daemon.port, bytes: Self.post("/mqtt/acl", #"{"username":"a","topic":"users/a/x","acc":"x"}"#), seconds: 5) { $0.contains(#""ok":false}"#) }
        #expect(answer.hasPrefix("HTTP/1.1 400"))
        #expect(answer.contains("application/json") && answer.contains(#""ok":false"#), "\(answer)")
    }

    /// 300 connections that send nothing must not keep a real request from being answered.
    @Test func idleConnectionsDoNotStarveRequests() throws {
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        for _ in 0..<300 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(daemon.port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            #expect(connected == 0)
            sockets.append(fd)
        }
        // Half of them start a request and stop in the middle of the headers.
        for fd in sockets.prefix(150) { _ = send(fd, "POST /mqtt/auth HTTP/1.1\r\nHost: x\r\n", 36, Int32(MSG_NOSIGNAL)) }
        let started = Date()
        #expect(try healthy())
        let answer = try RawHTTP.exchange(port: daemon.port, bytes: Self.post("/mqtt/acl", #"{"username":"a","topic":"users/a/x","acc":2}"#), seconds: 5) { $0.contains(#""ok":true}"#) }
        #expect(answer.hasPrefix("HTTP/1.1 200"))
        #expect(Date().timeIntervalSince(started) < 5)
    }

    /// Every exchange refusal, many times over, keeps the daemon answering.
    @Test func repeatedBadExchangesKeepItAnswering() throws {
        for round in 0..<200 {
            let key = round % 2 == 0 ? "sk_guess_\(round)" : "sk_test_hostile_key"
            let body = round % 3 == 0 ? "{" : #"{"provider":"supabase","token":"x.y.z"}"#
            let request = Array("POST /v2/tokens/exchange HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(key)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)".utf8)
            let status = Self.status(of: try RawHTTP.exchange(port: daemon.port, bytes: request, seconds: 5) { $0.contains("\r\n\r\n") })
            #expect(status == "400" || status == "401", "round \(round): \(status)")
        }
        #expect(try healthy())
    }
}
