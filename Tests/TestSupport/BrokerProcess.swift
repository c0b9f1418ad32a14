import Foundation

/// Debian's `mosquitto`, started on a generated config with its log to a file.
package final class BrokerProcess: LoggedProcess {
    package static let binary = URL(fileURLWithPath: "/usr/sbin/mosquitto")

    /// The plugin as `swift build` leaves it, beside the executables.
    package static var plugin: String? {
        guard let daemon = BuiltProducts.executable("mqtt-authd") else { return nil }
        let path = daemon.deletingLastPathComponent().appendingPathComponent("libMosquittoAuthPlugin.so").path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// Starts `mosquitto -c config` and waits until it accepts connections on `port`, or exits.
    package init(config: String, port: Int, logPath: String) throws {
        try super.init(executable: Self.binary, arguments: ["-c", config], logPath: logPath)
        let deadline = Date().addingTimeInterval(20)
        while !FreePort.isAccepting(port) {
            guard isRunning else { throw DaemonFailure(message: "mosquitto exited early:\n\(log)") }
            guard Date() < deadline else { throw DaemonFailure(message: "mosquitto did not listen on \(port):\n\(log)") }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    /// Starts mosquitto on a config that is expected to be refused; returns its exit status
    /// (nil if it kept running for 10 s) and its log.
    package static func refusedStart(config: String, logPath: String) throws -> (status: Int32?, log: String) {
        let broker = try LoggedProcess(executable: binary, arguments: ["-c", config], logPath: logPath)
        let status = broker.waitForExit(seconds: 10)
        return (status, broker.log)
    }
}
