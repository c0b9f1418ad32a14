import Foundation
import InMemoryLogging
import Logging
import MQTTAuthStore
import TestSupport

extension TempFolder {
    /// The path of the test database in this folder.
    var database: String { path + "/credentials.sqlite" }
}

/// Every log line a store writes, at trace level, kept by swift-log's own in-memory handler.
struct LogCapture {
    private let handler: InMemoryLogHandler = {
        var handler = InMemoryLogHandler()
        handler.logLevel = .trace
        return handler
    }()

    var logger: Logger {
        var logger = Logger(label: "mqtt-authd.test") { [handler] _ in handler }
        logger.logLevel = .trace
        return logger
    }

    /// Each line as text: level, message and metadata.
    var text: String {
        handler.entries.map { entry in
            let pairs = entry.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            return "\(entry.level) \(entry.message) \(pairs.joined(separator: " "))"
        }.joined(separator: "\n")
    }

    var count: Int { handler.entries.count }
}

/// A logger that drops everything.
let quietLogger = Logger(label: "mqtt-authd.test") { _ in SwiftLogNoOpLogHandler() }

/// A fixed clock for tests: 2030-01-01T00:00:00Z, and times relative to it.
let t0 = Date(timeIntervalSince1970: 1_893_456_000)

func at(_ seconds: TimeInterval) -> Date { t0.addingTimeInterval(seconds) }

extension CredentialStore {
    /// `issue` with test defaults: provider `supabase`, username = subject, an hour's life, cap 20.
    func issue(
        _ subject: String,
        provider: String = "supabase",
        username: String? = nil,
        expiresAt: Date = at(3600),
        maxPerUser: Int = 20,
        now: Date = t0
    ) async throws -> IssuedCredential {
        try await issue(
            provider: provider, subject: subject, username: username ?? subject,
            expiresAt: expiresAt, maxPerUser: maxPerUser, now: now
        )
    }
}

extension SQLiteCredentialStore {
    /// The expiry of the credential `authenticate` matches, or nil.
    func expiry(username: String, password: String, now: Date) -> Date? {
        authenticate(username: username, password: password, now: now)?.expiresAt
    }
}
