import ArgumentParser
import Foundation
import MQTTAuthCore

/// `aclcheck`: shows how the configured ACL decides a request, and why.
///
/// Exit codes are part of the interface: 0 allow (and a finished `--batch` or a clean `--lint`),
/// 1 deny, 2 bad usage, bad input or a bad configuration.
@main
struct ACLCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aclcheck",
        abstract: "Decide an MQTT ACL request the way mqtt-authd does, and say which rule decided.",
        discussion: """
            Exit status: 0 allow, 1 deny, 2 bad usage or a bad configuration.
            --batch reads lines of access<TAB>user<TAB>clientid<TAB>topic (user and client id may \
            be empty); blank lines and lines starting with '#' are skipped. It prints one line per \
            case and exits 0, or 2 naming the first malformed line.
            """
    )

    @Option(help: "The mqtt-authd YAML configuration file.")
    var config: String

    @Option(help: "The username; omit it for a client without one.")
    var user: String?

    @Option(name: .customLong("clientid"), help: "The client id.")
    var clientID: String?

    @Option(help: "The topic (publish, read) or filter (subscribe).")
    var topic: String?

    @Option(help: "publish, subscribe or read.")
    var access: String?

    @Flag(help: "Print the decision as JSON.")
    var json = false

    @Option(help: "Check every case in this file ('-' for standard input).")
    var batch: String?

    @Flag(help: "Compile the rules and report every error.")
    var lint = false

    func validate() throws {
        let single = [user, clientID, topic, access].contains { $0 != nil }
        if lint, batch != nil { throw ValidationError("--lint and --batch cannot be combined") }
        if lint || batch != nil {
            if single {
                throw ValidationError("--user, --clientid, --topic and --access go with a single check, not --lint or --batch")
            }
            return
        }
        guard topic != nil else { throw ValidationError("missing --topic (or use --batch or --lint)") }
        guard let access else { throw ValidationError("missing --access publish|subscribe|read") }
        guard Self.checkedAccess(access) != nil else {
            throw ValidationError("--access must be publish, subscribe or read, not '\(access.printable)'")
        }
    }

    func run() throws {
        let loaded: ACLConfiguration
        do {
            loaded = try ACLConfiguration.load(path: config)
        } catch {
            for diagnostic in error.diagnostics { Output.error("error: \(diagnostic)") }
            if lint { Output.error("\(error.diagnostics.count) error(s)") }
            throw ExitCode(2)
        }
        if lint {
            print("ok: \(loaded.rules.count) rule(s), \(loaded.superusers.count) superuser(s)")
            return
        }
        let acl = loaded.compile()
        if let batch {
            try BatchCheck(acl: acl, json: json).run(source: batch)
            return
        }
        let request = CheckRequest(user: user, clientID: clientID, topic: topic!, access: Self.checkedAccess(access!)!)
        let decision = request.decide(with: acl)
        print(json ? request.json(decision) : decision.description)
        if !decision.isAllowed { throw ExitCode(1) }
    }

    /// The accesses an operator may ask about; unsubscribe is always allowed and not asked.
    static func checkedAccess(_ name: String) -> Access? {
        guard let access = Access(name: name), access != .unsubscribe, name != "write" else { return nil }
        return access
    }

    /// Bad usage exits 2, like a bad configuration, rather than ArgumentParser's 64.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            Self.exit(withError: exit)
        } catch {
            if exitCode(for: error) == .success { Self.exit(withError: error) }
            Output.error(fullMessage(for: error))
            Self.exit(withError: ExitCode(2))
        }
    }
}
