import Foundation
import MQTTAuthStore
import TestSupport
import Testing

@Suite("Credential store: opening")
struct OpeningTests {
    @Test func missingParentFoldersAreCreated() async throws {
        let folder = try TempFolder()
        let path = folder.path + "/var/lib/mqtt-authd/credentials.sqlite"
        let store = try SQLiteCredentialStore(path: path, logger: quietLogger, now: t0)
        #expect(FileManager.default.fileExists(atPath: path))
        let issued = try await store.issue("alice")
        #expect(store.expiry(username: "alice", password: issued.password, now: t0) != nil)
    }

    @Test func aFileThatIsNotADatabaseGivesAClearError() throws {
        let folder = try TempFolder()
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: folder.database))
        let error = try #require(throws: CredentialStoreError.self) {
            try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        }
        #expect(error.description.contains(folder.database))
        #expect(error.description.contains("not a database"))
    }

    @Test func aParentThatIsAFileGivesAClearError() throws {
        let folder = try TempFolder()
        let file = folder.path + "/plain"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let error = try #require(throws: CredentialStoreError.self) {
            try SQLiteCredentialStore(path: file + "/credentials.sqlite", logger: quietLogger, now: t0)
        }
        #expect(error.description == "cannot create the folder '\(file)' for the credential database: File exists")
    }

    @Test func aFileInTheWayOfTheFoldersGivesAClearError() throws {
        let folder = try TempFolder()
        let file = folder.path + "/plain"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let error = try #require(throws: CredentialStoreError.self) {
            try SQLiteCredentialStore(path: file + "/var/credentials.sqlite", logger: quietLogger, now: t0)
        }
        #expect(error.description == "cannot create the folder '\(file)/var' for the credential database: Not a directory")
    }

    @Test func aPathThatIsAFolderGivesAClearError() throws {
        let folder = try TempFolder()
        try FileManager.default.createDirectory(atPath: folder.database, withIntermediateDirectories: true)
        let error = try #require(throws: CredentialStoreError.self) {
            try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        }
        #expect(error.description.contains("cannot open the credential database"))
        #expect(error.description.contains(folder.database))
    }

    /// /proc refuses new files even to root: an unwritable path on any Linux machine.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self"), "needs Linux /proc"))
    func aFolderThatRefusesNewFilesGivesAClearError() throws {
        let error = try #require(throws: CredentialStoreError.self) {
            try SQLiteCredentialStore(path: "/proc/mqtt-authd-credentials.sqlite", logger: quietLogger, now: t0)
        }
        #expect(error.description.contains("cannot open the credential database '/proc/mqtt-authd-credentials.sqlite'"))
    }

    /// Root may write anywhere, so this runs only as another user.
    @Test(.enabled(if: getuid() != 0, "root ignores folder permissions"))
    func anUnwritableFolderGivesAClearError() throws {
        let folder = try TempFolder()
        let locked = folder.path + "/locked"
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: locked)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: locked) }
        let error = try #require(throws: CredentialStoreError.self) {
            try SQLiteCredentialStore(path: locked + "/credentials.sqlite", logger: quietLogger, now: t0)
        }
        #expect(error.description.contains(locked))
    }
}
