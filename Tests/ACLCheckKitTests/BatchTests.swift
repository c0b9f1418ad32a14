import ACLCheckKit
import Foundation
import MQTTAuthCore
import TestSupport
import Testing

/// `--batch`: one output line per case in input order and 0, or 2 naming the first malformed
/// line before any output.
@Suite("aclcheck --batch")
struct BatchTests {
    let workspace: Workspace

    init() throws {
        workspace = try Workspace()
        try workspace.writeStandardConfig()
    }

    /// Comments, empty lines (one with CRLF), an empty user (anonymous), an empty client id,
    /// a topic holding a tab, and no newline after the last case.
    static let input = [
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

    var output: [Substring] {
        [
            Substring(workspace.ownTopicAllow),
            Substring(ACLCheckFixture.anonymousPublicAllow),
            Substring(ACLCheckFixture.defaultDeny),
            "allow rule 'user (every client) topic devices/%c/state subscribe' at aclfile:5",
            "allow superuser",
            Substring(ACLCheckFixture.defaultDeny),
            Substring(ACLCheckFixture.anonymousPublicAllow),
            Substring(workspace.secretDeny),
            Substring(ACLCheckFixture.defaultDeny),
        ]
    }

    @Test func fromStandardInput() {
        let run = workspace.run(["--batch", "-"], stdin: Self.input)
        #expect(run.status == .ok, "\(run)")
        #expect(run.stdoutLines == output, "\(run)")
        #expect(run.stdout.hasSuffix("\n"), "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
        #expect(run.readInput)
    }

    @Test func fromFile() throws {
        try workspace.write("cases.tsv", Self.input)
        let run = workspace.run(["--batch", workspace.path("cases.tsv")])
        #expect(run.status == .ok, "\(run)")
        #expect(run.stdoutLines == output, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
        #expect(!run.readInput)
    }

    @Test func withJSONPrintsOneObjectPerCase() throws {
        let run = workspace.run(["--batch", "-", "--json"], stdin: Self.input)
        #expect(run.status == .ok, "\(run)")
        let decisions = try run.stdoutLines.map { try JSONDecoder().decode(JSONDecision.self, from: Data($0.utf8)) }
        #expect(decisions.map(\.message) == output.map(String.init))
        #expect(decisions.map(\.result) == output.map { String($0.prefix(while: { $0 != " " })) })
        try #require(decisions.count == output.count)
        // An empty user field is an anonymous client: no `user` in the JSON.
        #expect(decisions[1].user == nil)
        #expect(decisions[1].clientid == nil)
        #expect(decisions[3].clientid == "c1")
        #expect(decisions[5].topic == "tab\tin topic")
    }

    @Test func emptyBatchPrintsNothing() {
        let run = workspace.run(["--batch", "-"], stdin: "# nothing\n\n \t\n")
        #expect(run.status == .ok, "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
    }

    @Test func parseReadsTheFourFields() throws {
        let requests = try BatchCheck.parse("publish\tbob\t\tusers/bob/x\r\n# c\nread\t\tdev-1\ta\tb\n", name: "cases")
        #expect(requests == [
            CheckRequest(user: "bob", clientID: nil, topic: "users/bob/x", access: .publish),
            CheckRequest(user: nil, clientID: "dev-1", topic: "a\tb", access: .read),
        ])
    }

    struct MalformedBatch: Sendable, CustomTestStringConvertible {
        let name: String
        let input: String
        /// The 1-based line standard error names, and the message after it.
        let line: Int
        let message: String

        var testDescription: String { name }
    }

    static let ok = "publish\tbob\t\tusers/bob/x\n"
    static let fieldCount = "expected 4 tab-separated fields (access, user, clientid, topic), found"

    static let malformedBatches = [
        MalformedBatch(name: "three fields", input: ok + "# ok so far\npublish\tbob\tusers/bob/x\n", line: 3, message: "\(fieldCount) 3"),
        MalformedBatch(name: "two fields after a blank line", input: ok + "\nread\tbob\n", line: 3, message: "\(fieldCount) 2"),
        MalformedBatch(
            name: "access 'write'",
            input: ok + "write\tbob\t\tusers/bob/x\n",
            line: 2,
            message: "access must be publish, subscribe or read, not 'write'"
        ),
        MalformedBatch(
            name: "access 'unsubscribe'",
            input: ok + "unsubscribe\tbob\t\tusers/bob/x\n",
            line: 2,
            message: "access must be publish, subscribe or read, not 'unsubscribe'"
        ),
        MalformedBatch(
            name: "control character in the access",
            input: ok + "pub\u{1B}lish\tbob\t\tx\n",
            line: 2,
            message: "access must be publish, subscribe or read, not 'pub\\u{1B}lish'"
        ),
        MalformedBatch(name: "one field after valid lines", input: ok + ok + ok + ok + "users/bob/x\n", line: 5, message: "\(fieldCount) 1"),
        MalformedBatch(name: "last line, no newline", input: ok + ok + "publish\tbob", line: 3, message: "\(fieldCount) 2"),
    ]

    /// A malformed line stops the run before any output; standard error names its line.
    @Test(arguments: malformedBatches)
    func malformedLineFails(_ batch: MalformedBatch) throws {
        let fromStdin = workspace.run(["--batch", "-"], stdin: batch.input)
        #expect(fromStdin.status == .failed, "\(fromStdin)")
        #expect(fromStdin.stdout.isEmpty, "\(fromStdin)")
        #expect(fromStdin.stderr == "error: standard input:\(batch.line): \(batch.message)\n", "\(fromStdin)")

        let file = workspace.path("cases.tsv")
        try workspace.write("cases.tsv", batch.input)
        let fromFile = workspace.run(["--batch", file])
        #expect(fromFile.status == .failed, "\(fromFile)")
        #expect(fromFile.stdout.isEmpty, "\(fromFile)")
        #expect(fromFile.stderr == "error: \(file):\(batch.line): \(batch.message)\n", "\(fromFile)")
    }

    @Test func lineThatIsNotUTF8Fails() throws {
        let bytes = Array("publish\tbob\t\tusers/bob/x\n\npublish\tb".utf8) + [0xC3, 0x28] + Array("ob\t\tx\n".utf8)
        let file = workspace.path("cases.tsv")
        try workspace.write("cases.tsv", bytes)
        let run = workspace.run(["--batch", file])
        #expect(run.status == .failed, "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
        #expect(run.stderr == "error: \(file):3: file is not valid UTF-8 text\n", "\(run)")

        let fromStdin = aclcheck(["--config", workspace.config, "--batch", "-"], stdin: Data(bytes))
        #expect(fromStdin.status == .failed, "\(fromStdin)")
        #expect(fromStdin.stdout.isEmpty, "\(fromStdin)")
        #expect(fromStdin.stderr == "error: standard input:3: file is not valid UTF-8 text\n", "\(fromStdin)")
    }

    @Test func unreadableBatchFileFails() {
        let file = workspace.path("no-such.tsv")
        let run = workspace.run(["--batch", file])
        #expect(run.status == .failed, "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
        #expect(run.stderr == "error: cannot read batch file '\(file)'\n", "\(run)")
    }

    @Test func badConfigFailsBeforeReadingInput() throws {
        try workspace.write("config.yml", "acl:\n  rules:\n    - user: \"%\"\n      topic: \"a/#/b\"\n      permission: pubsub\n")
        let run = workspace.run(["--batch", "-"], stdin: Self.ok)
        #expect(run.status == .failed, "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
        #expect(run.stderr == "error: \(workspace.config):4: invalid topic 'a/#/b': '#' must be a whole level and the last one\n", "\(run)")
        #expect(!run.readInput, "\(run)")
    }

    /// 100,000 generated cases: own topics are allowed (except the `secret` one), other users'
    /// topics fall to the default deny, anonymous clients may read `public/#`; every output line
    /// is checked, in order. The output is several times the 64 KiB chunk it is written in.
    @Test func hundredThousandCases() {
        let accesses = ["publish", "subscribe", "read"]
        var input = ""
        var expected: [Substring] = []
        input.reserveCapacity(5_000_000)
        expected.reserveCapacity(100_000)
        let ownTopicAllow = Substring(workspace.ownTopicAllow)
        let secretDeny = Substring(workspace.secretDeny)
        for i in 0..<100_000 {
            let access = accesses[i % 3]
            let user = "user\(i % 101)"
            let other = "user\((i + 1) % 101)"
            let line: String
            switch i % 10 {
            case 3:
                line = "\(access)\t\(user)\tc\(i)\tusers/\(user)/secret"
                expected.append(secretDeny)
            case 7:
                // Anonymous: may subscribe to and read public/#, not publish there.
                let topic = access == "subscribe" ? "public/+/x" : "public/\(i)"
                line = "\(access)\t\t\t\(topic)"
                expected.append(Substring(access == "publish" ? ACLCheckFixture.defaultDeny : ACLCheckFixture.anonymousPublicAllow))
            default:
                let owner = i % 2 == 0 ? user : other
                let topic = access == "subscribe" ? "users/\(owner)/+/t" : "users/\(owner)/t/\(i)"
                line = "\(access)\t\(user)\tc\(i)\t\(topic)"
                expected.append(owner == user ? ownTopicAllow : Substring(ACLCheckFixture.defaultDeny))
            }
            input += line
            input += "\n"
        }
        let started = ContinuousClock.now
        let run = workspace.run(["--batch", "-"], stdin: input)
        let elapsed = ContinuousClock.now - started
        #expect(run.status == .ok, "status \(run.status), stderr \(run.stderr.prefix(500))")
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
        print("aclcheck --batch in-process: 100000 cases in \(elapsed) (\(allows) allow, \(denies) deny)")
    }
}
