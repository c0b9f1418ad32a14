import Foundation
import MQTTAuthCore
import TestSupport
import Testing

/// `mqtt-authd --version` prints the version from its one place (`MQTTAuthdVersion`), which
/// `make deb` names the package by.
@Suite("mqtt-authd --version")
struct VersionTests {
    @Test func theDaemonPrintsTheReleasesVersion() async throws {
        let output = await offThePool { () -> (Int32, String) in
            let process = Process()
            process.executableURL = DaemonProcess.binary
            process.arguments = ["--version"]
            let out = Pipe()
            process.standardOutput = out
            guard (try? process.run()) != nil else { return (-1, "") }
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
        #expect(output.0 == 0)
        #expect(output.1 == MQTTAuthdVersion.current + "\n")
        let source = try String(contentsOfFile: #filePath.replacingOccurrences(of: "Tests/DaemonTests/VersionTests.swift", with: "Sources/MQTTAuthCore/Version.swift"), encoding: .utf8)
        #expect(source.contains(#"package static let current = "\#(MQTTAuthdVersion.current)""#), "the line make deb reads")
    }
}
