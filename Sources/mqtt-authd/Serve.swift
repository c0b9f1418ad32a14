import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import MQTTAuthServer
import MQTTAuthStore
import Prometheus

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
        let store: CredentialStore
        do {
            store = try CredentialStore(path: configuration.database, logger: logger)
        } catch {
            logger.critical("cannot open the credential store", metadata: ["database.path": "\(configuration.database)", "error": "\(error)"])
            throw ExitCode(1)
        }
        let runtime = RuntimeBox(Server.runtime(configuration, logger: logger))
        let parts = ServerParts(runtime: runtime, store: store, metrics: metrics)
        let app = try Server.application(
            configuration,
            parts: parts,
            services: Server.services(path: path, parts: parts, logger: logger),
            logger: logger
        )
        logger.notice("mqtt-authd starting", metadata: [
            "listen": "\(configuration.listen)",
            "tls": "\(configuration.tls != nil)",
            "database.path": "\(configuration.database)",
            "providers": "\(configuration.providers.map(\.name).joined(separator: ","))",
        ])
        try await app.runService()
    }
}
