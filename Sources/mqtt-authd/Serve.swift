import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import MQTTAuthPostgres
import MQTTAuthServer
import MQTTAuthStore
import Prometheus
import ServiceLifecycle

/// `mqtt-authd [--config FILE]`: runs the daemon until SIGTERM or SIGINT; SIGHUP reloads.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the daemon (the default).")

    @OptionGroup var options: ConfigOption

    @Option(help: "trace, debug, info, notice, warning, error or critical (default: $LOG_LEVEL, else info).")
    var logLevel: String?

    func run() async throws {
        let level = logLevel ?? ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: level) else {
            throw ValidationError("unknown log level '\(level)'")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "mqtt-authd")
        let path = try options.path()
        let configuration = try options.load()

        let metrics = ServerMetrics()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))
        let (store, storeServices) = try await Self.openStore(configuration, logger: logger)
        let runtime = RuntimeBox(Server.runtime(configuration, logger: logger, storedKeys: store))
        let parts = ServerParts(runtime: runtime, store: store, metrics: metrics)
        let app = try Server.application(
            configuration,
            parts: parts,
            // The store's services first: a graceful shutdown stops them last, after the server.
            services: storeServices + Server.services(path: path, parts: parts, logger: logger),
            logger: logger
        )
        logger.notice("mqtt-authd starting", metadata: [
            "listen": "\(configuration.listen)",
            "tls": "\(configuration.tls != nil)",
            "database": "\(configuration.databaseDescription)",
            "providers": "\(configuration.providers.map(\.name).joined(separator: ","))",
        ])
        try await app.runService()
    }

    /// The SQLite store, or the PostgreSQL one (connected, migrated and loaded) with the
    /// services it needs: its connection pool and its change feed. A database that cannot be
    /// used exits 2 with the reason; the message never holds the password.
    static func openStore(_ configuration: DaemonConfiguration, logger: Logger) async throws -> (any CredentialStore, [any Service]) {
        guard let settings = configuration.postgres else {
            do {
                return (try SQLiteCredentialStore(path: configuration.database, logger: logger), [])
            } catch {
                logger.critical("cannot open the credential store", metadata: ["database.path": "\(configuration.database)", "error": "\(error)"])
                throw ExitCode(1)
            }
        }
        do {
            let store = try PostgresCredentialStore(settings: settings, logger: logger)
            try await store.prepare(now: Date())
            return (store, [store.client, store])
        } catch {
            let message = "database: cannot use \(settings): \(error)"
            logger.critical("cannot open the credential store", metadata: ["database": "\(settings)", "error": "\(error)"])
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
            throw ExitCode(2)
        }
    }
}
