import Foundation

/// A running `mqtt-authd` binary, with its log captured to a file. With `listen: 127.0.0.1:0`
/// it picks its own port, read back from its log. Always stopped by the test that started it.
package final class DaemonProcess: LoggedProcess {
    package private(set) var port = 0

    /// The binary beside the test bundle.
    package static var binary: URL {
        BuiltProducts.executable("mqtt-authd") ?? URL(fileURLWithPath: "/nonexistent/mqtt-authd")
    }

    package init(config: String, logPath: String, environment: [String: String] = [:], arguments: [String] = []) throws {
        try super.init(executable: Self.binary, arguments: ["--config", config] + arguments, environment: environment, logPath: logPath)
        port = try waitForPort()
    }

    /// Reads the port from Hummingbird's "listening on" line, for up to 20 seconds. A restarted
    /// daemon appends to the same log, so the last such line counts.
    private func waitForPort() throws -> Int {
        let deadline = Date().addingTimeInterval(20)
        let before = log.components(separatedBy: "Server started and listening on").count
        while Date() < deadline {
            let lines = log.split(separator: "\n").filter { $0.contains("Server started and listening on") }
            if lines.count >= before, let line = lines.last,
               let port = line.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
                return port
            }
            guard isRunning else { throw DaemonFailure(message: "daemon exited early:\n\(log)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw DaemonFailure(message: "daemon did not start listening:\n\(log)")
    }
}
