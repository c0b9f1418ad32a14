import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A raw TCP client, for what an HTTP library will not send: pipelined requests.
package enum RawHTTP {
    /// Sends `text` in one write to 127.0.0.1:`port`, then reads until `until` returns true
    /// for what has arrived, the peer closes, or `seconds` pass.
    package static func exchange(port: Int, _ text: String, seconds: Double = 10, until: (String) -> Bool) throws -> String {
        try exchange(port: port, bytes: Array(text.utf8), seconds: seconds, until: until)
    }

    /// The same with raw bytes, for what is not valid UTF-8.
    package static func exchange(port: Int, bytes: [UInt8], seconds: Double = 10, until: (String) -> Bool) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw DaemonFailure(message: "socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw DaemonFailure(message: "connect failed") }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            // The server may answer and close before reading everything (a 413, a 431).
            guard count > 0 else { break }
            sent += count
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { break }
            if count > 0 {
                received += buffer[0..<count]
                if until(String(decoding: received, as: UTF8.self)) { break }
            }
        }
        return String(decoding: received, as: UTF8.self)
    }
}

extension RawHTTP {
    /// One answer read back: its status and body.
    package struct Answer: Sendable, Equatable {
        package let status: Int
        package let headers: [String: String]
        package let body: String
    }

    /// Sends `text` (one or more requests), off the concurrency pool, and splits what comes
    /// back into `count` answers by their `Content-Length`; fewer when the server stopped
    /// answering. Header names are lowercased.
    package static func answers(port: Int, _ text: String, count: Int, seconds: Double = 10) async throws -> [Answer] {
        let received = try await offThePool { () -> Result<String, any Error> in
            Result { try exchange(port: port, text, seconds: seconds) { parse($0).count >= count } }
        }.get()
        return parse(received)
    }

    /// The complete answers at the start of `text`.
    static func parse(_ text: String) -> [Answer] {
        var answers: [Answer] = []
        var rest = Substring(text)
        while let split = rest.range(of: "\r\n\r\n") {
            let lines = rest[..<split.lowerBound].split(separator: "\r\n")
            guard let statusLine = lines.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else { break }
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            let bodyStart = split.upperBound
            guard rest.utf8.distance(from: bodyStart, to: rest.endIndex) >= length else { break }
            let bodyEnd = rest.utf8.index(bodyStart, offsetBy: length)
            answers.append(Answer(status: status, headers: headers, body: String(rest[bodyStart..<bodyEnd])))
            rest = rest[bodyEnd...]
        }
        return answers
    }
}
