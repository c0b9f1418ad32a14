import Foundation
import MQTTAuthStore
import TestSupport
import Testing

@Suite("Credential store: concurrency")
struct ConcurrencyTests {
    @Test func twoHundredConcurrentIssuesAllAuthenticate() async throws {
        let folder = try TempFolder()
        let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        let issued = try await withThrowingTaskGroup(of: IssuedCredential.self) { group in
            for index in 0..<200 {
                group.addTask {
                    let credential = try await store.issue("user-\(index % 50)", maxPerUser: 10)
                    // Visible as soon as `issue` returns.
                    #expect(store.expiry(username: credential.username, password: credential.password, now: t0) != nil)
                    return credential
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(issued.count == 200)
        #expect(Set(issued.map(\.password)).count == 200)
        #expect(Set(issued.map(\.username)).count == 50)
        for credential in issued {
            #expect(store.expiry(username: credential.username, password: credential.password, now: t0) != nil)
        }
        #expect(store.activeCount(now: t0) == 200)

        let reopened = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        #expect(reopened.activeCount(now: t0) == 200)
        for credential in issued {
            #expect(reopened.expiry(username: credential.username, password: credential.password, now: t0) != nil)
        }
    }

    @Test func concurrentFirstIssuesOfOneIdentityBindOneName() async throws {
        let folder = try TempFolder()
        let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        let names = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<50 {
                group.addTask { try await store.issue("s-1", username: "john", maxPerUser: 5).username }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(names == ["john"])
        // The cap held under concurrency: the index matches the disk.
        #expect(store.activeCount(now: t0) == 5)
        let reopened = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        #expect(reopened.activeCount(now: t0) == 5)
    }

    @Test func authenticateRunsWhileIssuesAndPurgesWrite() async throws {
        let folder = try TempFolder()
        let store = try SQLiteCredentialStore(path: folder.database, logger: quietLogger, now: t0)
        let steady = try await store.issue("steady")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for index in 0..<100 {
                    _ = try await store.issue("u-\(index)", expiresAt: at(index.isMultiple(of: 2) ? 10 : 3600))
                    if index.isMultiple(of: 10) { _ = try await store.purgeExpired(now: at(10)) }
                }
            }
            for _ in 0..<2 {
                group.addTask {
                    for _ in 0..<5_000 {
                        #expect(store.expiry(username: "steady", password: steady.password, now: t0) != nil)
                    }
                }
            }
            try await group.waitForAll()
        }
        _ = try await store.purgeExpired(now: at(10))
        #expect(store.activeCount(now: t0) == 51)
    }
}
