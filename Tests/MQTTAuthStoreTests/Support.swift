import Foundation
import Logging
import MQTTAuthStore
import Synchronization
import TestSupport

extension TempFolder {
    /// The path of the test database in this folder.
    var database: String { path + "/credentials.sqlite" }
}

/// Every log line a store writes, at trace level, as text: message and metadata.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var logger: Logger {
        var logger = Logger(label: "mqtt-authd.test") { _ in CaptureHandler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    var text: String { lines.withLock { $0.joined(separator: "\n") } }
    var count: Int { lines.withLock { $0.count } }

    fileprivate func append(_ line: String) {
        lines.withLock { $0.append(line) }
    }
}

private struct CaptureHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let pairs = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        capture.append("\(event.level) \(event.message) \(pairs.joined(separator: " "))")
    }
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
