import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// End-to-end tests of the built `aclcheck` binary: each test writes a config and acl files into
// its own temporary folder, runs the binary as a subprocess and checks its exit status and
// output. The test target depends on the `aclcheck` target, so `swift build --build-tests`
// builds the binary next to the test bundle. They cover what only the process does: exit codes,
// the real standard streams, a config named relative to the working directory. Everything else
// aclcheck does is tested in-process, against ACLCheckKit (Tests/ACLCheckKitTests).

/// What one run of `aclcheck` did.
struct AclcheckRun: CustomStringConvertible {
    /// The exit status, or minus the signal number if the process was killed by a signal.
    let status: Int32
    let stdout: String
    let stderr: String

    /// Output lines without the final newline's empty remainder.
    var stdoutLines: [Substring] { Self.lines(stdout) }
    var stderrLines: [Substring] { Self.lines(stderr) }

    private static func lines(_ text: String) -> [Substring] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    var description: String { "status \(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
}

/// Finds the `aclcheck` executable beside the test bundle and runs it.
enum Aclcheck {
    static let executable: URL? = BuiltProducts.executable("aclcheck")

    /// A child that exits before reading all of its standard input must not kill the test
    /// process with SIGPIPE; the failed write is then simply ignored.
    private static let ignoreSIGPIPE: Void = {
        _ = signal(SIGPIPE, SIG_IGN)
    }()

    /// Runs `aclcheck arguments` in `folder`, feeding `stdin` (if any) through a pipe.
    /// Standard output and error go to files in `folder`, so that a large output can never
    /// fill a pipe and block the child while the test waits for it.
    static func run(_ arguments: [String], in folder: URL, stdin: Data? = nil) throws -> AclcheckRun {
        let executable = try #require(executable, "the aclcheck binary was not found beside the test bundle")
        _ = ignoreSIGPIPE
        let id = UUID().uuidString
        let outURL = folder.appendingPathComponent(".stdout-\(id)")
        let errURL = folder.appendingPathComponent(".stderr-\(id)")
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.standardOutput = outHandle
        process.standardError = errHandle
        let input = Pipe()
        process.standardInput = input

        try process.run()
        try? outHandle.close()
        try? errHandle.close()
        // Write standard input from another thread: the child reads it while this thread waits.
        let writer = input.fileHandleForWriting
        let payload = stdin ?? Data()
        let written = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            if !payload.isEmpty { try? writer.write(contentsOf: payload) }
            try? writer.close()
            written.signal()
        }
        process.waitUntilExit()
        written.wait()

        let status = process.terminationReason == .exit ? process.terminationStatus : -process.terminationStatus
        return AclcheckRun(
            status: status,
            stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
        )
    }
}

@Suite("aclcheck end to end", .timeLimit(.minutes(2)))
final class AclcheckEndToEndTests {
    /// This test's own folder, removed when the test ends.
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("aclcheck-e2e-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: folder)
    }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: folder.appendingPathComponent(name))
    }

    /// `ACLCheckFixture`'s `config.yml` and `aclfile`, named from the folder the tests run in.
    func writeStandardConfig() throws {
        try write("config.yml", ACLCheckFixture.config)
        try write("aclfile", ACLCheckFixture.aclFile)
    }

    func aclcheck(_ arguments: [String], stdin: String? = nil) throws -> AclcheckRun {
        try Aclcheck.run(arguments, in: folder, stdin: stdin.map { Data($0.utf8) })
    }

    @Test func binaryIsFoundBesideTheTests() throws {
        let executable = try #require(Aclcheck.executable)
        #expect(executable.lastPathComponent == "aclcheck")
        let run = try Aclcheck.run(["--help"], in: folder)
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("--batch"), "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
    }

    @Test func allowExitsZero() throws {
        try writeStandardConfig()
        let run = try aclcheck(["--config", "config.yml", "--user", "bob", "--topic", "users/bob/inbox", "--access", "publish"])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout == ACLCheckFixture.ownTopicAllow() + "\n", "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
    }

    @Test func denyExitsOne() throws {
        try writeStandardConfig()
        let run = try aclcheck(["--config", "config.yml", "--user", "bob", "--topic", "users/bob/secret", "--access", "read", "--json"])
        #expect(run.status == 1, "\(run)")
        #expect(run.stdout.hasPrefix(#"{"access":"read","message":"\#(ACLCheckFixture.secretDeny())","#), "\(run)")
        #expect(run.stdoutLines.count == 1, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
    }

    @Test(arguments: [
        (["--user", "bob", "--topic", "users/bob/x", "--access", "write"], "--access must be publish, subscribe or read, not 'write'"),
        (["--user", "bob", "--topic", "users/bob/x", "--access", "publish", "--bogus"], "Error: Unknown option '--bogus'"),
        (["--user", "bob", "--access", "publish"], "Error: missing --topic (or use --batch or --lint)"),
    ])
    func badUsageExitsTwo(_ arguments: [String], _ message: String) throws {
        try writeStandardConfig()
        let run = try aclcheck(["--config", "config.yml"] + arguments)
        #expect(run.status == 2, "\(run)")
        #expect(run.stderrLines.first?.contains(message) == true, "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
    }

    @Test func badConfigExitsTwoWithFileAndLine() throws {
        try write("config.yml", "acl:\n  rules:\n    - user: \"%\"\n      topic: \"a/#/b\"\n      permission: pubsub\n")
        let run = try aclcheck(["--config", "config.yml", "--user", "bob", "--topic", "a", "--access", "publish"])
        #expect(run.status == 2, "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
        #expect(run.stderr == "error: config.yml:4: invalid topic 'a/#/b': '#' must be a whole level and the last one\n", "\(run)")
    }

    @Test func batchFromStandardInput() throws {
        try writeStandardConfig()
        let input = "# access\tuser\tclientid\ttopic\npublish\tbob\t\tusers/bob/x\nread\t\t\tpublic/a\r\n\npublish\tbob\t\tusers/bob/secret"
        let run = try aclcheck(["--config", "config.yml", "--batch", "-"], stdin: input)
        #expect(run.status == 0, "\(run)")
        #expect(run.stdoutLines == [
            Substring(ACLCheckFixture.ownTopicAllow()),
            Substring(ACLCheckFixture.anonymousPublicAllow),
            Substring(ACLCheckFixture.secretDeny()),
        ], "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")

        let malformed = try aclcheck(["--config", "config.yml", "--batch", "-"], stdin: "publish\tbob\t\tx\nread\tbob\n")
        #expect(malformed.status == 2, "\(malformed)")
        #expect(malformed.stdout.isEmpty, "\(malformed)")
        #expect(malformed.stderr == "error: standard input:2: expected 4 tab-separated fields (access, user, clientid, topic), found 2\n", "\(malformed)")
    }
}
