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
// builds the binary next to the test bundle.

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

/// The JSON `aclcheck --json` prints.
private struct JSONDecision: Decodable {
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

/// A configuration (`config.yml`) plus acl files, in a fresh folder, as a test needs them.
struct ConfigCase: Sendable, CustomTestStringConvertible {
    let name: String
    /// `config.yml`, as bytes so that it can be invalid UTF-8.
    let yaml: [UInt8]
    /// acl files by name, as bytes for the same reason.
    let files: [String: [UInt8]]
    /// What stderr must contain: the `file:line:` and the start of the message.
    let expected: [String]

    init(name: String, yaml: String, files: [String: [UInt8]] = [:], expected: [String]) {
        self.init(name: name, yamlBytes: Array(yaml.utf8), files: files, expected: expected)
    }

    init(name: String, yamlBytes: [UInt8], files: [String: [UInt8]] = [:], expected: [String]) {
        self.name = name
        self.yaml = yamlBytes
        self.files = files
        self.expected = expected
    }

    var testDescription: String { name }
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

    // MARK: - Fixtures

    /// Line 4: `users/%u/#` pubsub for every user. Line 7: `users/%u/secret` deny.
    static let standardConfig = """
        superusers: ["ops"]
        acl:
          rules:
            - user: "%"
              topic: "users/%u/#"
              permission: pubsub
            - user: "%"
              topic: "users/%u/secret"
              permission: deny
          files:
            - aclfile
        """

    /// Line 2: anonymous clients may subscribe to and receive `public/#`. Line 4: alice may
    /// publish `alice/out`. Line 5: every client may subscribe to its own `devices/%c/state`.
    static let standardACLFile = """
        # Mosquitto acl_file syntax
        topic read public/#
        user alice
        topic write alice/out
        pattern read devices/%c/state

        """

    static let ownTopicAllow = "allow rule 'user % topic users/%u/# pubsub' at config.yml:4"
    static let secretDeny = "deny rule 'user % topic users/%u/secret deny' at config.yml:7"
    static let defaultDeny = "deny no rule matched (default deny)"
    static let anonymousPublicAllow = "allow rule 'user (anonymous) topic public/# subscribe' at aclfile:2"

    func write(_ name: String, _ text: String) throws {
        try write(name, Array(text.utf8))
    }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        let url = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    func writeStandardConfig() throws {
        try write("config.yml", Self.standardConfig)
        try write("aclfile", Self.standardACLFile)
    }

    func aclcheck(_ arguments: [String], stdin: String? = nil) throws -> AclcheckRun {
        try Aclcheck.run(arguments, in: folder, stdin: stdin.map { Data($0.utf8) })
    }

    func check(_ user: String?, _ topic: String, _ access: String, clientID: String? = nil, json: Bool = false) throws -> AclcheckRun {
        var arguments = ["--config", "config.yml"]
        if let user { arguments += ["--user", user] }
        if let clientID { arguments += ["--clientid", clientID] }
        arguments += ["--topic", topic, "--access", access]
        if json { arguments.append("--json") }
        return try aclcheck(arguments)
    }

    // MARK: - Single checks

    @Test func binaryIsFoundBesideTheTests() throws {
        let executable = try #require(Aclcheck.executable)
        #expect(executable.lastPathComponent == "aclcheck")
        let run = try Aclcheck.run(["--help"], in: folder)
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("--batch"), "\(run)")
    }

    @Test func allowExitsZeroAndNamesTheRuleAndItsSource() throws {
        try writeStandardConfig()
        let own = try check("bob", "users/bob/inbox", "publish")
        #expect(own.status == 0, "\(own)")
        #expect(own.stdoutLines == [Substring(Self.ownTopicAllow)], "\(own)")
        #expect(own.stderr.isEmpty, "\(own)")

        let fromFile = try check("alice", "alice/out", "publish")
        #expect(fromFile.status == 0, "\(fromFile)")
        #expect(fromFile.stdoutLines == ["allow rule 'user alice topic alice/out publish' at aclfile:4"], "\(fromFile)")

        let pattern = try check("bob", "devices/dev-7/state", "subscribe", clientID: "dev-7")
        #expect(pattern.status == 0, "\(pattern)")
        #expect(pattern.stdoutLines == ["allow rule 'user (every client) topic devices/%c/state subscribe' at aclfile:5"], "\(pattern)")
    }

    @Test func sourcesAreNamedAsGivenWhenRunFromElsewhere() throws {
        try write("conf/main.yml", Self.standardConfig)
        try write("conf/aclfile", Self.standardACLFile)
        let configPath = folder.appendingPathComponent("conf/main.yml").path
        // Run from the parent folder with an absolute config path: the acl file is still found
        // relative to the config's folder, and each source is named as it was given.
        let run = try aclcheck(["--config", configPath, "--user", "carol", "--topic", "users/carol/x", "--access", "read"])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdoutLines == [Substring("allow rule 'user % topic users/%u/# pubsub' at \(configPath):4")], "\(run)")
        let anonymous = try aclcheck(["--config", configPath, "--topic", "public/news", "--access", "read"])
        #expect(anonymous.status == 0, "\(anonymous)")
        #expect(anonymous.stdoutLines == [Substring(Self.anonymousPublicAllow)], "\(anonymous)")
    }

    @Test func denyRuleExitsOne() throws {
        try writeStandardConfig()
        let run = try check("bob", "users/bob/secret", "publish")
        #expect(run.status == 1, "\(run)")
        #expect(run.stdoutLines == [Substring(Self.secretDeny)], "\(run)")
        // The deny rule wins over the pubsub rule that also covers the topic, for every access.
        for access in ["subscribe", "read"] {
            let other = try check("bob", "users/bob/secret", access)
            #expect(other.status == 1, "\(access): \(other)")
            #expect(other.stdoutLines == [Substring(Self.secretDeny)], "\(access): \(other)")
        }
    }

    @Test func noMatchingRuleIsDefaultDeny() throws {
        try writeStandardConfig()
        let others = try check("bob", "users/alice/inbox", "publish")
        #expect(others.status == 1, "\(others)")
        #expect(others.stdout == Self.defaultDeny + "\n", "\(others)")
        // alice may publish alice/out, not subscribe to it.
        let wrongAccess = try check("alice", "alice/out", "subscribe")
        #expect(wrongAccess.status == 1, "\(wrongAccess)")
        #expect(wrongAccess.stdoutLines == [Substring(Self.defaultDeny)], "\(wrongAccess)")
        // A user with a name is not the anonymous client of the acl file's first topic line.
        let named = try check("bob", "public/news", "read")
        #expect(named.status == 1, "\(named)")
        #expect(named.stdoutLines == [Substring(Self.defaultDeny)], "\(named)")
    }

    @Test func invalidPublishTopicIsDeniedNotAnError() throws {
        try writeStandardConfig()
        let run = try check("bob", "users/bob/+", "publish")
        #expect(run.status == 1, "\(run)")
        #expect(run.stdout.hasPrefix("deny invalid topic"), "\(run)")
    }

    @Test func superuserIsAllowedEverything() throws {
        try writeStandardConfig()
        for (topic, access) in [("#", "subscribe"), ("users/bob/secret", "publish"), ("$SYS/broker/uptime", "read")] {
            let run = try check("ops", topic, access)
            #expect(run.status == 0, "\(topic) \(access): \(run)")
            #expect(run.stdoutLines == ["allow superuser"], "\(topic) \(access): \(run)")
        }
        // Only that exact name.
        let almost = try check("ops2", "#", "subscribe")
        #expect(almost.status == 1, "\(almost)")
    }

    @Test func jsonOutputParses() throws {
        try writeStandardConfig()
        let allow = try check("bob", "users/bob/inbox", "publish", clientID: "c-1", json: true)
        #expect(allow.status == 0, "\(allow)")
        #expect(allow.stdoutLines.count == 1, "\(allow)")
        let allowed = try JSONDecoder().decode(JSONDecision.self, from: Data(allow.stdout.utf8))
        #expect(allowed.result == "allow")
        #expect(allowed.reason == "rule")
        #expect(allowed.access == "publish")
        #expect(allowed.user == "bob")
        #expect(allowed.clientid == "c-1")
        #expect(allowed.topic == "users/bob/inbox")
        #expect(allowed.message == Self.ownTopicAllow)
        #expect(allowed.rules.count == 1)
        #expect(allowed.rules.first?.source == "config.yml:4")
        #expect(allowed.rules.first?.topic == "users/%u/#")
        #expect(allowed.rules.first?.permission == "pubsub")
        #expect(allowed.rules.first?.user == "%")

        let deny = try check("bob", "users/bob/secret", "read", json: true)
        #expect(deny.status == 1, "\(deny)")
        let denied = try JSONDecoder().decode(JSONDecision.self, from: Data(deny.stdout.utf8))
        #expect(denied.result == "deny")
        #expect(denied.rules.map(\.source) == ["config.yml:7"])
        #expect(denied.rules.map(\.permission) == ["deny"])

        let none = try check("bob", "elsewhere", "subscribe", json: true)
        #expect(none.status == 1, "\(none)")
        let defaulted = try JSONDecoder().decode(JSONDecision.self, from: Data(none.stdout.utf8))
        #expect(defaulted.result == "deny")
        #expect(defaulted.reason == "default")
        #expect(defaulted.rules.isEmpty)

        let superuser = try check("ops", "#", "subscribe", json: true)
        #expect(superuser.status == 0, "\(superuser)")
        let allowedSuperuser = try JSONDecoder().decode(JSONDecision.self, from: Data(superuser.stdout.utf8))
        #expect(allowedSuperuser.result == "allow")
        #expect(allowedSuperuser.reason == "superuser")
    }

    // MARK: - Bad usage

    @Test(arguments: [
        (["--user", "bob", "--topic", "users/bob/x"], "missing --access"),
        (["--user", "bob", "--topic", "users/bob/x", "--access", "publsh"], "--access must be publish, subscribe or read"),
        (["--user", "bob", "--topic", "users/bob/x", "--access", "write"], "--access must be publish, subscribe or read"),
        (["--user", "bob", "--topic", "users/bob/x", "--access", "unsubscribe"], "--access must be publish, subscribe or read"),
        (["--user", "bob", "--topic", "users/bob/x", "--access", "publish", "--bogus"], "Unknown option '--bogus'"),
        (["--user", "bob", "--access", "publish"], "missing --topic"),
        (["--lint", "--user", "bob"], "go with a single check"),
        (["--lint", "--batch", "-"], "cannot be combined"),
    ])
    func badUsageExitsTwo(_ arguments: [String], _ message: String) throws {
        try writeStandardConfig()
        let run = try aclcheck(["--config", "config.yml"] + arguments)
        #expect(run.status == 2, "\(run)")
        #expect(run.stderr.contains(message), "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
    }

    @Test func missingConfigOptionExitsTwo() throws {
        let run = try aclcheck(["--user", "bob", "--topic", "x", "--access", "publish"])
        #expect(run.status == 2, "\(run)")
        #expect(run.stderr.contains("--config"), "\(run)")
    }

    // MARK: - Bad configurations

    static let badConfigs: [ConfigCase] = [
        ConfigCase(
            name: "'#' not last",
            yaml: """
                acl:
                  rules:
                    - user: "%"
                      topic: "a/#/b"
                      permission: pubsub
                """,
            expected: ["config.yml:4: invalid topic 'a/#/b'"]
        ),
        ConfigCase(
            name: "'+' not a whole level",
            yaml: """
                acl:
                  rules:
                    - user: "%"
                      topic: "foo+"
                      permission: pubsub
                """,
            expected: ["config.yml:4: invalid topic 'foo+'"]
        ),
        ConfigCase(
            name: "empty topic",
            yaml: """
                acl:
                  rules:
                    - user: "%"
                      topic: ""
                      permission: pubsub
                """,
            expected: ["config.yml:4: invalid topic ''"]
        ),
        ConfigCase(
            name: "unknown permission",
            yaml: """
                acl:
                  rules:
                    - user: "%"
                      topic: "a"
                      permission: pubsbu
                """,
            expected: ["config.yml:5: unknown permission 'pubsbu'"]
        ),
        ConfigCase(
            name: "partial-level placeholder",
            yaml: """
                acl:
                  rules:
                    - user: "%"
                      topic: "dev-%u/state"
                      permission: publish
                """,
            expected: ["config.yml:4: topic 'dev-%u/state'", "placeholder must be a whole level"]
        ),
        ConfigCase(
            name: "missing acl file",
            yaml: """
                acl:
                  rules: []
                  files:
                    - present.acl
                    - missing.acl
                """,
            files: ["present.acl": Array("topic a\n".utf8)],
            expected: ["config.yml:5: acl file 'missing.acl'"]
        ),
        ConfigCase(
            name: "acl file not UTF-8",
            yaml: """
                acl:
                  files:
                    - bad.acl
                """,
            files: ["bad.acl": Array("topic a\ntopic b\ntopic c".utf8) + [0xFF, 0xFE] + Array("\ntopic d\n".utf8)],
            expected: ["bad.acl:3: file is not valid UTF-8"]
        ),
        ConfigCase(
            name: "invalid filter in acl file",
            yaml: """
                acl:
                  files:
                    - x.acl
                """,
            files: ["x.acl": Array("# rules\n\ntopic read ok/#\npattern write dev-%u\n".utf8)],
            expected: ["x.acl:4: topic 'dev-%u'"]
        ),
        ConfigCase(
            name: "YAML syntax error",
            yaml: """
                superusers: ["ops"]
                acl:
                  rules:
                    - user: "%"
                      topic: "a"
                     permission: deny
                """,
            expected: ["config.yml:6: YAML syntax error"]
        ),
        ConfigCase(
            name: "unquoted % in YAML",
            yaml: """
                acl:
                  rules:
                    - user: %
                      topic: "a"
                      permission: deny
                """,
            expected: ["config.yml:3: YAML syntax error"]
        ),
        ConfigCase(
            name: "config not UTF-8",
            // A Latin-1 "café" in a comment on line 3.
            yamlBytes: Array("acl:\n  rules: []\n# caf".utf8) + [0xE9] + Array("\n".utf8),
            expected: ["config.yml:3: file is not valid UTF-8"]
        ),
    ]

    @Test(arguments: badConfigs)
    func badConfigExitsTwoWithFileAndLine(_ config: ConfigCase) throws {
        try write("config.yml", config.yaml)
        for (name, bytes) in config.files { try write(name, bytes) }
        for access in ["publish", "subscribe"] {
            let run = try aclcheck(["--config", "config.yml", "--user", "bob", "--topic", "a", "--access", access])
            #expect(run.status == 2, "\(run)")
            #expect(run.stdout.isEmpty, "\(run)")
            for fragment in config.expected {
                #expect(run.stderr.contains(fragment), "stderr lacks '\(fragment)': \(run)")
            }
            // Every error line names a file and a line: `error: <file>:<line>: ...`.
            for line in run.stderrLines {
                #expect(line.wholeMatch(of: /error: [^:]+:\d+: .+/) != nil, "line without file:line: \(line)")
            }
        }
    }

    @Test func missingConfigFileExitsTwo() throws {
        let run = try aclcheck(["--config", "nowhere.yml", "--user", "bob", "--topic", "a", "--access", "publish"])
        #expect(run.status == 2, "\(run)")
        #expect(run.stderr.contains("nowhere.yml"), "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
    }

    // MARK: - --lint

    @Test func lintReportsEveryError() throws {
        try write("config.yml", """
            superusers: ["ops", ""]
            acl:
              rules:
                - user: "%"
                  topic: "a/#/b"
                  permission: pubsub
                - user: "%"
                  topic: "ok/%u"
                  permission: pubsbu
                - user: "a%b%"
                  topic: "dev-%u"
                  permission: deny
                - user: "%"
                  topic: "fine/#"
                  permission: read
              files:
                - x.acl
                - missing.acl
            """)
        try write("x.acl", """
            topic a/#/b
            user
            foo bar
            pattern read dev-%u
            topic read fine

            """)
        let run = try aclcheck(["--config", "config.yml", "--lint"])
        #expect(run.status == 2, "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
        let expected = [
            "config.yml:1: superusers holds an empty name",
            "config.yml:5: invalid topic 'a/#/b'",
            "config.yml:9: unknown permission 'pubsbu'",
            "config.yml:10: user selector 'a%b%'",
            "config.yml:11: topic 'dev-%u'",
            "config.yml:18: acl file 'missing.acl'",
            "x.acl:1: invalid topic 'a/#/b'",
            "x.acl:2: 'user' needs a username",
            "x.acl:3: unknown directive 'foo'",
            "x.acl:4: topic 'dev-%u'",
        ]
        let errors = run.stderrLines.filter { $0.hasPrefix("error: ") }
        #expect(errors.count == expected.count, "\(run)")
        for fragment in expected {
            #expect(errors.filter { $0.hasPrefix("error: " + fragment) }.count == 1, "missing or repeated '\(fragment)': \(run)")
        }
        #expect(run.stderrLines.last == "\(expected.count) error(s)", "\(run)")
    }

    @Test func lintOfAGoodConfigExitsZero() throws {
        try writeStandardConfig()
        let run = try aclcheck(["--config", "config.yml", "--lint"])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdoutLines == ["ok: 5 rule(s), 1 superuser(s)"], "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
    }

    // MARK: - --batch

    /// Comments, empty lines (one with CRLF), an empty user (anonymous), an empty client id,
    /// a topic holding a tab, and no newline after the last case.
    static let batchInput = [
        "# access\tuser\tclientid\ttopic",
        "",
        "publish\tbob\t\tusers/bob/x",
        "read\t\t\tpublic/a\r",
        "\r",
        "publish\t\t\tusers//x",
        "subscribe\tbob\tc1\tdevices/c1/state",
        "# done with the first part",
        "subscribe\tops\t\t#",
        "publish\tbob\t\ttab\tin topic",
        "subscribe\t\t\tpublic/#",
        "publish\tbob\t\tusers/bob/secret",
        "read\tbob\t\tpublic/a",
    ].joined(separator: "\n")

    static let batchOutput: [Substring] = [
        Substring(ownTopicAllow),
        Substring(anonymousPublicAllow),
        Substring(defaultDeny),
        "allow rule 'user (every client) topic devices/%c/state subscribe' at aclfile:5",
        "allow superuser",
        Substring(defaultDeny),
        Substring(anonymousPublicAllow),
        Substring(secretDeny),
        Substring(defaultDeny),
    ]

    @Test func batchFromStandardInput() throws {
        try writeStandardConfig()
        let run = try aclcheck(["--config", "config.yml", "--batch", "-"], stdin: Self.batchInput)
        #expect(run.status == 0, "\(run)")
        #expect(run.stdoutLines == Self.batchOutput, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
    }

    @Test func batchFromFile() throws {
        try writeStandardConfig()
        try write("cases.tsv", Self.batchInput)
        let run = try aclcheck(["--config", "config.yml", "--batch", "cases.tsv"])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdoutLines == Self.batchOutput, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
    }

    @Test func batchWithJSONPrintsOneObjectPerCase() throws {
        try writeStandardConfig()
        let run = try aclcheck(["--config", "config.yml", "--batch", "-", "--json"], stdin: Self.batchInput)
        #expect(run.status == 0, "\(run)")
        let decisions = try run.stdoutLines.map { try JSONDecoder().decode(JSONDecision.self, from: Data($0.utf8)) }
        #expect(decisions.map(\.message) == Self.batchOutput.map(String.init))
        #expect(decisions.map(\.result) == Self.batchOutput.map { String($0.prefix(while: { $0 != " " })) })
        // An empty user field is an anonymous client: no `user` in the JSON.
        #expect(decisions[1].user == nil)
        #expect(decisions[1].clientid == nil)
    }

    @Test func emptyBatchPrintsNothing() throws {
        try writeStandardConfig()
        let run = try aclcheck(["--config", "config.yml", "--batch", "-"], stdin: "# nothing\n\n")
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
    }

    struct MalformedBatch: Sendable, CustomTestStringConvertible {
        let name: String
        let input: String
        /// The 1-based line stderr must name.
        let line: Int
        let message: String

        var testDescription: String { name }
    }

    static let ok = "publish\tbob\t\tusers/bob/x\n"

    static let malformedBatches = [
        MalformedBatch(name: "three fields", input: ok + "# ok so far\npublish\tbob\tusers/bob/x\n", line: 3, message: "expected 4 tab-separated fields"),
        MalformedBatch(name: "two fields after a blank line", input: ok + "\nread\tbob\n", line: 3, message: "found 2"),
        MalformedBatch(name: "access 'write'", input: ok + "write\tbob\t\tusers/bob/x\n", line: 2, message: "access must be publish, subscribe or read"),
        MalformedBatch(name: "access 'unsubscribe'", input: ok + "unsubscribe\tbob\t\tusers/bob/x\n", line: 2, message: "access must be"),
        MalformedBatch(name: "one field after valid lines", input: ok + ok + ok + ok + "users/bob/x\n", line: 5, message: "found 1"),
        MalformedBatch(name: "last line, no newline", input: ok + ok + "publish\tbob", line: 3, message: "found 2"),
    ]

    /// A malformed line stops the run before any output; stderr names its line number.
    @Test(arguments: malformedBatches)
    func malformedBatchLineExitsTwo(_ batch: MalformedBatch) throws {
        let (input, line, message) = (batch.input, batch.line, batch.message)
        try writeStandardConfig()
        let fromStdin = try aclcheck(["--config", "config.yml", "--batch", "-"], stdin: input)
        #expect(fromStdin.status == 2, "\(fromStdin)")
        #expect(fromStdin.stdout.isEmpty, "\(fromStdin)")
        #expect(fromStdin.stderr.contains("error: standard input:\(line): "), "\(fromStdin)")
        #expect(fromStdin.stderr.contains(message), "\(fromStdin)")

        try write("cases.tsv", input)
        let fromFile = try aclcheck(["--config", "config.yml", "--batch", "cases.tsv"])
        #expect(fromFile.status == 2, "\(fromFile)")
        #expect(fromFile.stdout.isEmpty, "\(fromFile)")
        #expect(fromFile.stderr.contains("error: cases.tsv:\(line): "), "\(fromFile)")
        #expect(fromFile.stderr.contains(message), "\(fromFile)")
    }

    @Test func batchLineThatIsNotUTF8ExitsTwo() throws {
        try writeStandardConfig()
        let bytes = Array("publish\tbob\t\tusers/bob/x\n\npublish\tb".utf8) + [0xC3, 0x28] + Array("ob\t\tx\n".utf8)
        try write("cases.tsv", bytes)
        let run = try aclcheck(["--config", "config.yml", "--batch", "cases.tsv"])
        #expect(run.status == 2, "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
        #expect(run.stderr.contains("cases.tsv:3:"), "\(run)")
        #expect(run.stderr.contains("UTF-8"), "\(run)")

        let fromStdin = try Aclcheck.run(["--config", "config.yml", "--batch", "-"], in: folder, stdin: Data(bytes))
        #expect(fromStdin.status == 2, "\(fromStdin)")
        #expect(fromStdin.stdout.isEmpty, "\(fromStdin)")
        #expect(fromStdin.stderr.contains("standard input:3:"), "\(fromStdin)")
    }

    @Test func unreadableBatchFileExitsTwo() throws {
        try writeStandardConfig()
        let run = try aclcheck(["--config", "config.yml", "--batch", "no-such.tsv"])
        #expect(run.status == 2, "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
        #expect(run.stderr.contains("no-such.tsv"), "\(run)")
    }

    @Test func batchWithABadConfigExitsTwoWithoutOutput() throws {
        try write("config.yml", "acl:\n  rules:\n    - user: \"%\"\n      topic: \"a/#/b\"\n      permission: pubsub\n")
        // More input than a pipe buffer holds, which the child never reads.
        let input = String(repeating: "publish\tbob\t\tusers/bob/x\n", count: 20_000)
        let run = try aclcheck(["--config", "config.yml", "--batch", "-"], stdin: input)
        #expect(run.status == 2, "\(run.status) \(run.stderr)")
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("config.yml:4: invalid topic 'a/#/b'"), "\(run.stderr)")
    }

    /// 100,000 generated cases through standard input: own topics are allowed (except the
    /// `secret` one), other users' topics fall to the default deny, anonymous clients may read
    /// `public/#`; every output line is checked, in order.
    @Test func hundredThousandCaseBatch() throws {
        try writeStandardConfig()
        let accesses = ["publish", "subscribe", "read"]
        var input = ""
        var expected: [Substring] = []
        input.reserveCapacity(5_000_000)
        expected.reserveCapacity(100_000)
        for i in 0..<100_000 {
            let access = accesses[i % 3]
            let user = "user\(i % 101)"
            let other = "user\((i + 1) % 101)"
            let line: String
            switch i % 10 {
            case 3:
                line = "\(access)\t\(user)\tc\(i)\tusers/\(user)/secret"
                expected.append(Substring(Self.secretDeny))
            case 7:
                // Anonymous: may subscribe to and read public/#, not publish there.
                let topic = access == "subscribe" ? "public/+/x" : "public/\(i)"
                line = "\(access)\t\t\t\(topic)"
                expected.append(Substring(access == "publish" ? Self.defaultDeny : Self.anonymousPublicAllow))
            default:
                let owner = i % 2 == 0 ? user : other
                let topic = access == "subscribe" ? "users/\(owner)/+/t" : "users/\(owner)/t/\(i)"
                line = "\(access)\t\(user)\tc\(i)\t\(topic)"
                expected.append(Substring(owner == user ? Self.ownTopicAllow : Self.defaultDeny))
            }
            input += line
            input += "\n"
        }
        let started = ContinuousClock.now
        let run = try aclcheck(["--config", "config.yml", "--batch", "-"], stdin: input)
        let elapsed = ContinuousClock.now - started
        #expect(run.status == 0, "status \(run.status), stderr \(run.stderr.prefix(500))")
        let lines = run.stdoutLines
        #expect(lines.count == 100_000)
        var mismatches: [String] = []
        var mismatchCount = 0
        for (index, (got, want)) in zip(lines, expected).enumerated() where got != want {
            mismatchCount += 1
            if mismatches.count < 5 { mismatches.append("case \(index): got '\(got)', expected '\(want)'") }
        }
        #expect(mismatchCount == 0, "\(mismatchCount) wrong lines:\n\(mismatches.joined(separator: "\n"))")
        let allows = lines.filter { $0.hasPrefix("allow ") }.count
        let denies = lines.filter { $0.hasPrefix("deny ") }.count
        #expect(allows + denies == 100_000)
        #expect(allows > 30_000 && denies > 30_000, "allows \(allows), denies \(denies)")
        print("aclcheck --batch: 100000 cases in \(elapsed) (\(allows) allow, \(denies) deny)")
    }
}
