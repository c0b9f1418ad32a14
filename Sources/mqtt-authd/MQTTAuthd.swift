import ArgumentParser
import Crypto
import Foundation
import MQTTAuthCore
import MQTTAuthServer

/// `mqtt-authd`: the daemon, and two helpers for setting it up.
@main
struct MQTTAuthd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mqtt-authd",
        abstract: "Exchanges identity-provider JWTs for MQTT credentials and answers a broker's auth and ACL checks.",
        discussion: "Exit status: 0 after a clean stop, 2 for bad usage or a bad configuration, 1 for other failures.",
        version: MQTTAuthdVersion.current,
        subcommands: [Serve.self, HashKey.self, DevTokenCommand.self, KeysCommand.self],
        defaultSubcommand: Serve.self
    )

    /// Bad usage and bad configurations exit 2, as for aclcheck, rather than ArgumentParser's 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            Self.exit(withError: exit)
        } catch {
            if exitCode(for: error) == .success { Self.exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Self.exit(withError: ExitCode(2))
        }
    }
}

/// `--config FILE`, falling back to `MQTT_AUTHD_CONFIG`.
struct ConfigOption: ParsableArguments {
    @Option(help: "The YAML configuration file (default: $MQTT_AUTHD_CONFIG).")
    var config: String?

    func path() throws -> String {
        if let config { return config }
        if let fromEnvironment = ProcessInfo.processInfo.environment["MQTT_AUTHD_CONFIG"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        throw ValidationError("no configuration: give --config FILE or set MQTT_AUTHD_CONFIG")
    }

    /// Loads the configuration, or prints every error with its file and line and exits 2.
    func load() throws -> DaemonConfiguration {
        do {
            return try DaemonConfiguration.load(path: try path())
        } catch let errors as ConfigErrors {
            for diagnostic in errors.diagnostics {
                FileHandle.standardError.write(Data("error: \(diagnostic)\n".utf8))
            }
            throw ExitCode(2)
        }
    }
}

struct HashKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-key",
        abstract: "Print the key_sha256 value to configure for an API key."
    )

    @Argument(help: "The API key.")
    var key: String

    func run() {
        print(Hex.string(SHA256.hash(data: Data(key.utf8))))
    }
}

struct DevTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-token",
        abstract: "Print a Supabase-style HS256 access token signed with a provider's jwt_secret, for local testing."
    )

    @OptionGroup var options: ConfigOption

    @Option(help: "The provider, as named in the configuration.")
    var provider: String

    @Option(help: "The user's id (the token's sub).")
    var sub: String

    @Option(help: "The user's email.")
    var email: String = ""

    @Option(help: "Lifetime in seconds.")
    var ttl: Int = 3600

    func validate() throws {
        guard ttl > 0 else { throw ValidationError("--ttl must be a positive number of seconds") }
        guard !sub.isEmpty else { throw ValidationError("--sub must not be empty") }
    }

    func run() async throws {
        let configuration = try options.load()
        guard let provider = configuration.providers.first(where: { $0.name == self.provider }) else {
            throw ValidationError("no provider named '\(self.provider)' in the configuration")
        }
        guard let secret = provider.jwtSecret else {
            throw ValidationError("provider '\(provider.name)' has no jwt_secret: dev tokens are HS256 tokens signed with it")
        }
        let token = try await DevToken.mint(secret: secret, issuer: provider.issuer, subject: sub, email: email, ttl: ttl, now: Date())
        print(token)
    }
}
