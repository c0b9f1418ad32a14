import CoreMetrics
import Foundation
import Logging
import MQTTAuthStore
import ServiceLifecycle

/// Deletes expired credentials every `interval`, and keeps the active-credentials gauge current.
struct PurgeService: Service {
    let store: any CredentialStore
    let metrics: ServerMetrics
    let interval: Duration
    let logger: Logger
    let now: @Sendable () -> Date

    func run() async throws {
        await cancelWhenGracefulShutdown { await loop() }
    }

    private func loop() async {
        while !Task.isCancelled {
            do {
                let purged = try await store.purgeExpired(now: now())
                if purged > 0 { logger.debug("purged expired credentials", metadata: ["credentials.purged": "\(purged)"]) }
            } catch {
                logger.error("purging expired credentials failed", metadata: ["error": "\(error)"])
            }
            metrics.activeCredentials.record(store.activeCount(now: now()))
            try? await Task.sleep(for: interval)
        }
    }
}
