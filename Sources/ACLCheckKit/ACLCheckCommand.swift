import ArgumentParser
import MQTTAuthCore

/// `aclcheck`'s command line: how the configured ACL decides a request, and why (README.md,
/// "aclcheck").
///
/// Exit codes are part of the interface: 0 allow (and a finished `--batch` or a clean `--lint`),
/// 1 deny, 2 bad usage, bad input or a bad configuration (`ACLCheckStatus`). Start it with
/// `main(arguments:io:)`, which also gives bad usage 2 rather than ArgumentParser's 64; a parsed
/// command runs with `run(io:)`.
package struct ACLCheckCommand: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "aclcheck",
        abstract: "Decide an MQTT ACL request the way mqtt-authd does, and say which rule decided.",
        discussion: """
            Exit status: 0 allow, 1 deny, 2 bad usage or a bad configuration.
            --batch reads lines of access<TAB>user<TAB>clientid<TAB>topic (user and client id may \
            be empty), and an optional fifth field of attributes, name=value;name=value; blank \
            lines and lines starting with '#' are skipped. It prints one line per case and exits \
            0, or 2 naming the first malformed line.
            """,
        version: MQTTAuthdVersion.current
    )

    @Option(help: "The mqtt-authd YAML configuration file.")
    package var config: String

    @Option(help: "The username; omit it for a client without one.")
    package var user: String?

    @Option(name: .customLong("clientid"), help: "The client id.")
    package var clientID: String?

    @Option(help: "The topic (publish, read) or filter (subscribe).")
    package var topic: String?

    @Option(help: "publish, subscribe or read.", transform: CheckAccess.option)
    package var access: CheckAccess?

    @Option(name: .customLong("attr"), help: "An attribute of the user, name=value; repeat it for more values or names.")
    package var attributes: [String] = []

    @Flag(help: "Decide subscribes as EMQX, RabbitMQ and VerneMQ get them: refused when any deny rule overlaps the filter.")
    package var strictSubscribe = false

    @Flag(help: "Print the decision as JSON.")
    package var json = false

    @Option(help: "Check every case in this file ('-' for standard input).")
    package var batch: String?

    @Flag(help: "Compile the rules and report every error.")
    package var lint = false

    package init() {}

    package func validate() throws {
        let single = user != nil || clientID != nil || topic != nil || access != nil || !attributes.isEmpty
        if lint, batch != nil { throw ValidationError("--lint and --batch cannot be combined") }
        if lint || batch != nil {
            if single {
                throw ValidationError("--user, --clientid, --topic, --access and --attr go with a single check, not --lint or --batch")
            }
            return
        }
        guard topic != nil else { throw ValidationError("missing --topic (or use --batch or --lint)") }
        guard access != nil else { throw ValidationError("missing --access publish|subscribe|read") }
        do {
            _ = try CheckRequest.attributes(attributes)
        } catch {
            throw ValidationError("--attr: \(error)")
        }
    }
}
