import Foundation
import Logging
import MQTTAuthStore
import ServiceLifecycle

/// Keeps the stored API keys current (README "Keys in the store"): every second it lets the
/// store notice keys another process changed (`followAPIKeys`; the `mqtt-authd keys` command
/// beside a daemon on SQLite), and every minute it writes the keys' last uses, so that an
/// exchange never waits for a write. A graceful shutdown writes the last uses once more.
struct APIKeyService: Service {
    let store: any CredentialStore
    let logger: Logger
    let now: @Sendable () -> Date
    var followInterval = Duration.seconds(1)
    var flushEvery = 60

    func run() async throws {
        await cancelWhenGracefulShutdown { await loop() }
        await flush()
    }

    private func loop() async {
        var ticks = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: followInterval)
            do {
                try await store.followAPIKeys()
            } catch {
                logger.warning("reading the API keys failed", metadata: ["error": "\(error)"])
            }
            ticks += 1
            if ticks >= flushEvery {
                ticks = 0
                await flush()
            }
        }
    }

    private func flush() async {
        do {
            let written = try await store.flushAPIKeyUses()
            if written > 0 { logger.debug("recorded API key uses", metadata: ["api_keys.used": "\(written)"]) }
        } catch {
            logger.warning("recording API key uses failed", metadata: ["error": "\(error)"])
        }
    }
}
