import ACLCheckKit
import Foundation
import TestSupport

// aclcheck run in this process through `ACLCheckCommand.main(arguments:io:)`, the function the
// binary calls: standard input is a test's bytes, output and error are collected, and the
// status is what the binary would exit with. Files live in a fresh folder per test and are
// named by their full paths, since a test cannot change the process's working directory.

/// What one run of aclcheck wrote, and how it ended.
struct Run: CustomStringConvertible {
    let status: ACLCheckStatus
    let stdout: String
    let stderr: String
    /// Whether the run read standard input.
    let readInput: Bool

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

/// Runs aclcheck with `arguments`; `stdin` is all its standard input holds.
func aclcheck(_ arguments: [String], stdin: Data = Data()) -> Run {
    final class Streams {
        var output = Data()
        var error = Data()
        var readInput = false
    }
    let streams = Streams()
    let io = ACLCheckIO(
        readInput: {
            streams.readInput = true
            return stdin
        },
        writeOutput: { streams.output.append($0) },
        writeError: { streams.error.append($0) }
    )
    let status = ACLCheckCommand.main(arguments: arguments, io: io)
    return Run(
        status: status,
        stdout: String(decoding: streams.output, as: UTF8.self),
        stderr: String(decoding: streams.error, as: UTF8.self),
        readInput: streams.readInput
    )
}

/// A test's own folder for a configuration, acl files and batch files, removed with it.
final class Workspace {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("aclcheck-kit-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: folder)
    }

    /// The full path of `name` in the folder.
    func path(_ name: String) -> String {
        folder.appendingPathComponent(name).path
    }

    /// The full path of `config.yml`, which is how decisions and errors name it.
    var config: String { path("config.yml") }

    func write(_ name: String, _ text: String) throws {
        try write(name, Array(text.utf8))
    }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        let url = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    /// `ACLCheckFixture`'s `config.yml` and `aclfile`.
    func writeStandardConfig() throws {
        try write("config.yml", ACLCheckFixture.config)
        try write("aclfile", ACLCheckFixture.aclFile)
    }

    /// aclcheck with `--config config.yml` (by its full path) and `arguments`.
    func run(_ arguments: [String], stdin: String = "") -> Run {
        aclcheck(["--config", config] + arguments, stdin: Data(stdin.utf8))
    }

    /// One check against `config.yml`.
    func check(_ user: String?, _ topic: String, _ access: String, clientID: String? = nil, json: Bool = false) -> Run {
        var arguments: [String] = []
        if let user { arguments += ["--user", user] }
        if let clientID { arguments += ["--clientid", clientID] }
        arguments += ["--topic", topic, "--access", access]
        if json { arguments.append("--json") }
        return run(arguments)
    }

    // The fixture's lines, with `config.yml` named by its full path.
    var ownTopicAllow: String { ACLCheckFixture.ownTopicAllow(config: config) }
    var secretDeny: String { ACLCheckFixture.secretDeny(config: config) }
}

/// The JSON `aclcheck --json` prints.
struct JSONDecision: Decodable {
    struct Rule: Decodable {
        let user: String
        let topic: String
        let permission: String
        let source: String
    }

    let result: String
    let access: String
    let user: String?
    let clientid: String?
    let topic: String
    let reason: String
    let message: String
    let rules: [Rule]
}
