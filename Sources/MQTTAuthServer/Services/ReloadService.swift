import Logging
import MQTTAuthCore
import ServiceLifecycle
import UnixSignals

/// Reloads the whole configuration on SIGHUP: providers, API keys, superusers and ACL, swapped
/// in at once. A configuration with errors is refused: every error is logged with its file and
/// line, and the running configuration keeps serving.
struct ReloadService: Service {
    let path: String
    let runtime: RuntimeBox
    let logger: Logger
    let makeRuntime: @Sendable (DaemonConfiguration) -> Runtime

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            reload()
        }
    }

    /// Loads `path` and swaps it in; returns whether it did.
    @discardableResult
    func reload() -> Bool {
        do {
            let configuration = try DaemonConfiguration.load(path: path)
            let current = runtime.current.configuration
            guard configuration.database == current.database, configuration.postgres == current.postgres else {
                logger.error("reload refused: the database settings changed, which needs a restart; the previous configuration keeps serving", metadata: [
                    "config.path": "\(path)",
                    "database": "\(current.databaseDescription)",
                ])
                return false
            }
            runtime.replace(with: makeRuntime(configuration))
            logger.notice("configuration reloaded", metadata: ["config.path": "\(path)", "acl.rules": "\(configuration.acl.rules.count)"])
            return true
        } catch {
            for diagnostic in error.diagnostics {
                logger.error("configuration error", metadata: ["config.error": "\(diagnostic)"])
            }
            logger.error("reload refused; the previous configuration keeps serving", metadata: ["config.path": "\(path)"])
            return false
        }
    }
}
