import Foundation
import MQTTAuthCore
import MQTTAuthStore
import TestSupport
import Testing

@Suite("Credential store: durability and secrecy on disk")
struct DurabilityTests {
    @Test func databaseRunsInWALModeWithSynchronousFull() async throws {
        let folder = try TempFolder()
        let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        let settings = try await store.journalSettings()
        #expect(settings.journalMode == "wal")
        #expect(settings.synchronous == 2)

        // The settings hold for an existing file too.
        let reopened = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        let again = try await reopened.journalSettings()
        #expect(again.journalMode == "wal")
        #expect(again.synchronous == 2)
    }

    @Test func credentialSurvivesCloseAndReopen() async throws {
        let folder = try TempFolder()
        var issued: IssuedCredential
        do {
            let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
            issued = try await store.issue("alice")
        }
        let reopened = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        #expect(reopened.expiry(username: "alice", password: issued.password, now: t0) == at(3600))
    }

    /// The first store is never closed, as after a crash: a second one on the same file sees
    /// every credential the first one answered.
    @Test func credentialSurvivesARestartWithoutClose() async throws {
        let folder = try TempFolder()
        let first = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        var issued: [IssuedCredential] = []
        for subject in ["alice", "bob", "alice"] {
            issued.append(try await first.issue(subject))
        }
        let second = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        for credential in issued {
            #expect(second.expiry(username: credential.username, password: credential.password, now: t0) == at(3600))
        }
        // The restarted store can write while the old connection is still open.
        let more = try await second.issue("carol")
        let third = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        #expect(third.expiry(username: "carol", password: more.password, now: t0) != nil)
        withExtendedLifetime(first) {}
    }

    @Test func theDatabaseFilesHoldNoPlaintextPassword() async throws {
        let folder = try TempFolder()
        let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        var issued: [IssuedCredential] = []
        for index in 0..<20 {
            issued.append(try await store.issue("user-\(index % 5)"))
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(files.contains("credentials.sqlite-wal"))
        var bytes = Data()
        for file in files {
            bytes += try Data(contentsOf: URL(fileURLWithPath: folder.path + "/" + file))
        }
        for credential in issued {
            #expect(bytes.range(of: Data(credential.password.utf8)) == nil)
        }
        // The search can succeed: the hashes are there.
        for credential in issued.suffix(3) {
            #expect(bytes.range(of: Data(CredentialRules.hash(credential.password))) != nil)
        }
        withExtendedLifetime(store) {}
    }
}

@Suite("Credential store: logs")
struct StoreLoggingTests {
    @Test func logsNeverHoldAPasswordOrItsHash() async throws {
        let folder = try TempFolder()
        let capture = LogCapture()
        let store = try SQLiteCredentialStore(path: folder.database, logger: capture.logger, now: t0)
        var issued: [IssuedCredential] = []
        for subject in ["alice", "bob", "alice"] {
            issued.append(try await store.issue(subject, expiresAt: at(60)))
        }
        for credential in issued {
            _ = store.expiry(username: credential.username, password: credential.password, now: t0)
            _ = store.expiry(username: credential.username, password: "wrong", now: t0)
        }
        _ = try await store.purgeExpired(now: at(60))

        let text = capture.text
        #expect(capture.count >= 5)
        #expect(text.contains("credential.username=alice"))
        for credential in issued {
            let hash = CredentialRules.hash(credential.password)
            #expect(!text.contains(credential.password))
            #expect(!text.contains(hash.map { String(format: "%02x", $0) }.joined()))
            #expect(!text.contains(Data(hash).base64EncodedString()))
            #expect(!text.contains("\(hash)"))
        }
    }
}
