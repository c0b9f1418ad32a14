import Foundation
import MQTTAuthStore
import TestSupport
import Testing

/// A real crash: a child process (this test binary again, running only
/// `crashChildIssuesThenWaitsForSIGKILL`) issues credentials, prints them, and is killed with
/// SIGKILL while its database is open; a new store on the same file must accept every one.
@Suite("Credential store: kill -9")
struct CrashTests {
    /// Set only in the child's environment: the database path it writes.
    static let childVariable = "MQTT_AUTHD_TEST_CRASH_CHILD_DATABASE"
    static let readyMarker = "CRASH-CHILD-READY"
    static var isChild: Bool { ProcessInfo.processInfo.environment[childVariable] != nil }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/exe"), "re-runs this binary through /proc/self/exe (Linux)"))
    func credentialsAnsweredBeforeSIGKILLSurviveARestart() async throws {
        let folder = try TempFolder()
        let child = Process()
        child.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        child.arguments = ["--testing-library", "swift-testing", "--filter", "crashChildIssuesThenWaitsForSIGKILL"]
        var environment = ProcessInfo.processInfo.environment
        environment[Self.childVariable] = folder.database
        child.environment = environment
        let output = Pipe()
        child.standardOutput = output
        child.standardError = FileHandle.nullDevice
        let exited = AsyncStream<Void>.makeStream()
        child.terminationHandler = { _ in exited.continuation.finish() }
        try child.run()
        // Whatever happens, the child does not outlive the test.
        let watchdog = Task {
            try await Task.sleep(for: .seconds(120))
            kill(child.processIdentifier, SIGKILL)
        }
        defer { watchdog.cancel() }

        let text = await Self.read(output.fileHandleForReading, until: Self.readyMarker)
        #expect(kill(child.processIdentifier, SIGKILL) == 0)
        for await _ in exited.stream {}
        #expect(child.terminationReason == .uncaughtSignal)
        #expect(child.terminationStatus == SIGKILL)

        let issued = text.split(separator: "\n").compactMap { line -> (String, String)? in
            let fields = line.split(separator: " ")
            guard fields.count == 3, fields[0] == "ISSUED" else { return nil }
            return (String(fields[1]), String(fields[2]))
        }
        try #require(issued.count == 4, "the child printed: \(text)")
        // Killed with the database open: the WAL was never checkpointed into the main file.
        #expect(FileManager.default.fileExists(atPath: folder.database + "-wal"))

        let restarted = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        for (username, password) in issued {
            #expect(restarted.expiry(username: username, password: password, now: t0) == at(3600))
        }
        #expect(restarted.activeCount(now: t0) == 4)
    }

    /// The child side; skipped in every ordinary run.
    @Test(.enabled(if: CrashTests.isChild, "runs only in the child of credentialsAnsweredBeforeSIGKILLSurviveARestart"))
    func crashChildIssuesThenWaitsForSIGKILL() async throws {
        let path = try #require(ProcessInfo.processInfo.environment[Self.childVariable])
        let store = try SQLiteCredentialStore(path: path, logger: quietLogger, now: t0)
        for subject in ["alice", "bob", "alice", "carol"] {
            let credential = try await store.issue(subject)
            // Unbuffered: a line is out only after `issue` returned, and before the kill.
            FileHandle.standardOutput.write(Data("ISSUED \(credential.username) \(credential.password)\n".utf8))
        }
        FileHandle.standardOutput.write(Data("\(Self.readyMarker)\n".utf8))
        try await Task.sleep(for: .seconds(120))
        withExtendedLifetime(store) {}
    }

    /// Everything `handle` yields until a line equal to `marker`, or until end of file.
    private static func read(_ handle: FileHandle, until marker: String) async -> String {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var text = "\n"
                while true {
                    let data = handle.availableData
                    if data.isEmpty { break }
                    text += String(decoding: data, as: UTF8.self)
                    if text.contains("\n\(marker)\n") { break }
                }
                continuation.resume(returning: text)
            }
        }
    }
}
