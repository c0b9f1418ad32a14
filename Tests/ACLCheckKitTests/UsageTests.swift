import ACLCheckKit
import MQTTAuthCore
import Testing

/// Bad usage is 2, like a bad configuration, with ArgumentParser's message on standard error;
/// help is 0 on standard output.
@Suite("aclcheck usage")
struct UsageTests {
    let workspace: Workspace

    init() throws {
        workspace = try Workspace()
        try workspace.writeStandardConfig()
    }

    static let usage = "Usage: aclcheck --config <config> [--user <user>] [--clientid <clientid>] [--topic <topic>] [--access <access>] [--attr <attr> ...] [--strict-subscribe] [--json] [--batch <batch>] [--lint]"
    static let seeHelp = "  See 'aclcheck --help' for more information."
    static let accessHelp = "Help:  --access <access>  publish, subscribe or read."

    /// Arguments after `--config`, and the first line of standard error.
    @Test(arguments: [
        (["--user", "bob", "--topic", "users/bob/x"], "Error: missing --access publish|subscribe|read"),
        (
            ["--user", "bob", "--topic", "users/bob/x", "--access", "publsh"],
            "Error: The value 'publsh' is invalid for '--access <access>': --access must be publish, subscribe or read, not 'publsh'"
        ),
        (
            ["--user", "bob", "--topic", "users/bob/x", "--access", "write"],
            "Error: The value 'write' is invalid for '--access <access>': --access must be publish, subscribe or read, not 'write'"
        ),
        (
            ["--user", "bob", "--topic", "users/bob/x", "--access", "unsubscribe"],
            "Error: The value 'unsubscribe' is invalid for '--access <access>': --access must be publish, subscribe or read, not 'unsubscribe'"
        ),
        (
            ["--lint", "--access", "write"],
            "Error: The value 'write' is invalid for '--access <access>': --access must be publish, subscribe or read, not 'write'"
        ),
        (["--user", "bob", "--topic", "users/bob/x", "--access"], "Error: Missing value for '--access <access>'"),
        (["--user", "bob", "--topic", "users/bob/x", "--access", "publish", "--bogus"], "Error: Unknown option '--bogus'"),
        (["--user", "bob", "--access", "publish"], "Error: missing --topic (or use --batch or --lint)"),
        (["--lint", "--user", "bob"], "Error: --user, --clientid, --topic, --access and --attr go with a single check, not --lint or --batch"),
        (["--batch", "-", "--topic", "x"], "Error: --user, --clientid, --topic, --access and --attr go with a single check, not --lint or --batch"),
        (["--lint", "--batch", "-"], "Error: --lint and --batch cannot be combined"),
    ])
    func badUsageFails(_ arguments: [String], _ message: String) {
        let run = workspace.run(arguments)
        #expect(run.status == .failed, "\(run)")
        #expect(run.stderrLines.first.map(String.init) == message, "\(run)")
        #expect(run.stderrLines.suffix(2) == [Substring(Self.usage), Substring(Self.seeHelp)], "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
        #expect(!run.readInput, "\(run)")
    }

    @Test func refusedAccessShowsTheOptionsHelp() {
        let run = workspace.check("bob", "users/bob/x", "write")
        #expect(run.status == .failed, "\(run)")
        #expect(run.stderrLines == [
            "Error: The value 'write' is invalid for '--access <access>': --access must be publish, subscribe or read, not 'write'",
            Substring(Self.accessHelp),
            Substring(Self.usage),
            Substring(Self.seeHelp),
        ], "\(run)")
    }

    @Test func missingConfigOptionFails() {
        let run = aclcheck(["--user", "bob", "--topic", "x", "--access", "publish"])
        #expect(run.status == .failed, "\(run)")
        #expect(run.stderrLines.first == "Error: Missing expected argument '--config <config>'", "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
    }

    @Test(arguments: [["--help"], ["-h"], ["--config", "x.yml", "--help"]])
    func helpGoesToStandardOutput(_ arguments: [String]) {
        let run = aclcheck(arguments)
        #expect(run.status == .ok, "\(run)")
        #expect(run.stdout.hasPrefix("OVERVIEW: Decide an MQTT ACL request the way mqtt-authd does"), "\(run)")
        #expect(run.stdout.contains("--access <access>       publish, subscribe or read."), "\(run)")
        #expect(run.stdout.contains("Exit status: 0 allow, 1 deny, 2 bad usage or a bad configuration."), "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
    }

    /// `--version` prints the one version the package is built with.
    @Test func versionIsTheReleases() {
        let run = aclcheck(["--version"])
        #expect(run.status == .ok, "\(run)")
        #expect(run.stdout == MQTTAuthdVersion.current + "\n", "\(run)")
    }
}
