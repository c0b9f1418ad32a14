import ArgumentParser
import Foundation
import Logging
import MQTTAuthCore
import MQTTAuthPostgres
import MQTTAuthServer
import MQTTAuthStore

/// `mqtt-authd keys create|list|revoke`: the stored API keys (README "Keys in the store"), in
/// the store the configuration names, opened as the daemon opens it. Exit status 2 for bad
/// usage and for a name that exists already; 1 when the store fails or no key was revoked.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list and revoke the API keys kept in the store.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key and print it once (only its SHA-256 is stored).",
            discussion: "Prints the key alone on standard output; a note goes to standard error."
        )

        @OptionGroup var options: ConfigOption

        @Option(help: "The key's name: 1 to 64 of A-Z a-z 0-9 _ . - ; unique among stored and configured keys.")
        var name: String

        @Flag(help: "A publishable key (pk_live_…) for web pages, instead of a secret one (sk_live_…).")
        var publishable = false

        @Option(help: "Days until the key expires (1 to 3650; default: never).")
        var expiresIn: Int?

        func validate() throws {
            guard CredentialRules.isAPIKeyName(name) else {
                throw ValidationError("--name must be 1 to 64 of A-Z, a-z, 0-9, '_', '.' and '-'")
            }
            if let expiresIn, !(1...3650).contains(expiresIn) {
                throw ValidationError("--expires-in must be between 1 and 3650 days")
            }
        }

        func run() async throws {
            let configuration = try options.load()
            if configuration.apiKeys.contains(where: { $0.name == name }) || configuration.adminKeys.contains(where: { $0.name == name }) {
                KeysCommand.fail("the configuration has a key named '\(name)' already", status: 2)
            }
            let now = Date()
            let key = NewAPIKey(
                name: name, kind: publishable ? .publishable : .secret,
                expiresAt: expiresIn.map { now.addingTimeInterval(TimeInterval($0) * 86400) }, now: now
            )
            let created = try await KeysCommand.withStore(configuration) { store -> Bool in
                do {
                    _ = try await store.createAPIKey(key)
                    return true
                } catch APIKeyRefusal.nameTaken {
                    return false
                }
            }
            guard created else { KeysCommand.fail("a stored key named '\(name)' exists already; it is unchanged", status: 2) }
            print(key.key)
            let expiry = key.stored.expiresAt.map { "expires \($0.formatted(.iso8601))" } ?? "never expires"
            FileHandle.standardError.write(Data("""
                created \(key.stored.kind.rawValue) key '\(name)' (\(expiry)); it is shown only this once: \
                store it now, only its SHA-256 is kept\n
                """.utf8))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the stored keys: never a key or a hash.")

        @OptionGroup var options: ConfigOption

        func run() async throws {
            let configuration = try options.load()
            let keys = try await KeysCommand.withStore(configuration) { store in try await store.listAPIKeys() }
            let rows = [["NAME", "KIND", "CREATED", "LAST_USED", "EXPIRES", "REVOKED"]] + keys.map { key in
                [key.name, key.kind.rawValue, KeysCommand.minute(key.createdAt), key.lastUsedAt.map(KeysCommand.minute) ?? "-",
                 key.expiresAt.map(KeysCommand.minute) ?? "-", key.revokedAt.map(KeysCommand.minute) ?? "-"]
            }
            let widths = (0..<6).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                let padded = row.enumerated().map { column, text in
                    column == row.count - 1 ? text : text.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                }
                print(padded.joined(separator: "  "))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a stored key: every daemon refuses it at once.")

        @OptionGroup var options: ConfigOption

        @Argument(help: "The key's name.")
        var name: String

        func run() async throws {
            let configuration = try options.load()
            let revoked = try await KeysCommand.withStore(configuration) { store in try await store.revokeAPIKey(name: name, now: Date()) }
            guard revoked else { KeysCommand.fail("no live stored key is named '\(name)'", status: 1) }
            FileHandle.standardError.write(Data("revoked key '\(name)'\n".utf8))
        }
    }

    /// `date` in ISO 8601 to the minute, UTC: `2026-01-02T10:04Z`.
    static func minute(_ date: Date) -> String {
        String(date.formatted(.iso8601).prefix(16)) + "Z"
    }

    static func fail(_ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        Foundation.exit(status)
    }

    /// Opens the configuration's store as `serve` does, runs `body`, and closes it. Log lines go
    /// to standard error, warnings and worse only: standard output holds only the answer.
    static func withStore<T: Sendable>(
        _ configuration: DaemonConfiguration, _ body: @escaping @Sendable (any CredentialStore) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "mqtt-authd.keys") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        let (store, _) = try await Serve.openStore(configuration, logger: logger)
        guard let shared = store as? PostgresCredentialStore else {
            do {
                return try await body(store)
            } catch {
                fail("\(error)", status: 1)
            }
        }
        return await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await shared.runClient()
                return nil
            }
            defer { group.cancelAll() }
            do {
                return try await body(shared)
            } catch {
                fail("\(error)", status: 1)
            }
        }
    }
}
