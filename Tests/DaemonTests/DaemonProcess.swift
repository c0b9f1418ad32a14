import Foundation
import TestSupport
import Testing

/// A running `mqtt-authd` binary on a loopback port it chose itself (`listen: 127.0.0.1:0`),
/// with its log captured to a file. Always stopped by the test that started it.
final class DaemonProcess {
    let process = Process()
    let logPath: String
    private(set) var port = 0

    /// The binary beside the test bundle (the test target depends on the executable).
    static var binary: URL {
        BuiltProducts.executable("mqtt-authd") ?? URL(fileURLWithPath: "/nonexistent/mqtt-authd")
    }

    init(config: String, logPath: String, environment: [String: String] = [:], arguments: [String] = []) throws {
        self.logPath = logPath
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = Self.binary
        process.arguments = ["--config", config] + arguments
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { $1 }
        process.environment = merged
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try log.seekToEnd()
        process.standardError = log
        process.standardOutput = log
        try process.run()
        port = try waitForPort()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Reads the port from Hummingbird's "listening on" line, for up to 20 seconds.
    private func waitForPort() throws -> Int {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            for line in log.split(separator: "\n") where line.contains("Server started and listening on") {
                if let port = line.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
                    return port
                }
            }
            guard process.isRunning else { throw DaemonFailure(message: "daemon exited early:\n\(log)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw DaemonFailure(message: "daemon did not start listening:\n\(log)")
    }

    func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits up to `seconds` for the process to exit; returns its status, or nil if still running.
    func waitForExit(seconds: Double = 10) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Waits until the log contains `text`, for up to `seconds`.
    func waitForLog(_ text: String, seconds: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if log.contains(text) { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }
}

struct DaemonFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
