import Foundation
import MQTTAuthCore
@testable import MQTTAuthPostgres
import MQTTAuthStore
import Testing

/// When memory of the shared store reads a user again, and when it does not need to
/// (`PendingRefetches`, `SyncedIndex.applyChange`; docs/architecture.md §9.8).
@Suite("Refetching announced users")
struct PendingRefetchesTests {
    @Test func aNoticeWaitsForTheWritesInFlightAndIsDroppedWhenMemoryCaughtUp() {
        var pending = PendingRefetches()
        // Write 3 is in flight when its own notice (alice at revision 7) arrives.
        pending.add("alice", revision: 7, startedWrites: 3)
        let due1 = pending.takeDue(finishedWrites: 2) { _ in 6 }
        #expect(due1.isEmpty, "write 3 may still bring revision 7")
        #expect(!pending.isEmpty)
        // Write 3 finished and applied revision 7: nothing to read.
        let due2 = pending.takeDue(finishedWrites: 3) { _ in 7 }
        #expect(due2.isEmpty)
        #expect(pending.isEmpty)
    }

    @Test func aNoticeMemoryDidNotCatchUpWithIsReadOnceTheWritesFinished() {
        var pending = PendingRefetches()
        pending.add("bob", revision: 4, startedWrites: 1)
        let due3 = pending.takeDue(finishedWrites: 0) { _ in nil }
        #expect(due3.isEmpty)
        let due4 = pending.takeDue(finishedWrites: 1) { _ in 3 }
        #expect(due4 == ["bob"], "another daemon's change")
        #expect(pending.isEmpty)
    }

    @Test func anUnconditionalReadIsDueAtOnceAndStaysUnconditional() {
        var pending = PendingRefetches()
        pending.add("carol")
        pending.add("carol", revision: 2, startedWrites: 9)
        #expect(pending.entries["carol"] == .init(revision: nil, afterWrite: 0))
        let due5 = pending.takeDue(finishedWrites: 0) { _ in 100 }
        #expect(due5 == ["carol"], "memory's revision does not excuse it")
    }

    @Test func laterNoticesRaiseTheRevisionAndTheWait() {
        var pending = PendingRefetches()
        pending.add("dave", revision: 5, startedWrites: 2)
        pending.add("dave", revision: 3, startedWrites: 4)
        #expect(pending.entries["dave"] == .init(revision: 5, afterWrite: 4))
        let due6 = pending.takeDue(finishedWrites: 4) { _ in 4 }
        #expect(due6 == ["dave"])
    }

    @Test func memoryAheadOfAnExchangeAlreadyHoldsItsChange() {
        var index = SyncedIndex()
        let old = CredentialIndex.Entry(id: 1, hash: Array(repeating: 1, count: 32), expiresAt: Date(timeIntervalSince1970: 4_000_000_000), tokenID: "tok_a")
        let new = CredentialIndex.Entry(id: 2, hash: Array(repeating: 2, count: 32), expiresAt: Date(timeIntervalSince1970: 4_000_000_000), tokenID: "tok_b")
        // A refetch read revision 3, which holds credential 2 and no longer credential 1.
        index.apply(.init(revision: 3, entries: [new]), for: "erin")
        // The exchange that made revision 2 (adding 2) is applied after: nothing changes.
        let stale = index.applyChange(for: "erin", revision: 2, added: new, removed: [], attributes: .none, isNew: false)
        #expect(stale)
        #expect(index.revision(of: "erin") == 3)
        #expect(index.credentials.entries(for: "erin").map(\.id) == [2])
        // Behind by more than one revision: memory cannot apply it, and says so.
        let gap = index.applyChange(for: "erin", revision: 5, added: old, removed: [], attributes: .none, isNew: false)
        #expect(!gap)
        #expect(index.revision(of: "erin") == 3)
    }
}
