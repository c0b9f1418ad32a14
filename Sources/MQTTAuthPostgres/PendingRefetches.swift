/// The users memory must read again from the store, and when (docs/architecture.md §9.8).
///
/// A notice `u<revision>:<username>` reaches the daemon that wrote it too, and it may arrive
/// before that daemon's own write has put the same revision into memory: PostgreSQL delivers
/// notices at commit, while the writer learns of the commit one round trip later. Refetching
/// such a user would read back what the writer is about to apply, and under load that was
/// nearly every batch. So an announced user waits for the exchange writes that were in flight
/// when its notice arrived (`afterWrite`, a count of started writes) to finish; then it is
/// dropped if memory reached the announced revision, and read again if not. A notice from
/// another daemon waits at most for one batch of this daemon's own, bounded by
/// `database_timeout`.
package struct PendingRefetches: Sendable {
    package struct Entry: Sendable, Equatable {
        /// The revision a notice announced; nil: read the user whatever memory holds.
        package var revision: Int64?
        /// Ready once this many exchange writes have finished.
        package var afterWrite: UInt64
    }

    package private(set) var entries: [String: Entry] = [:]

    package init() {}

    package var isEmpty: Bool { entries.isEmpty }

    /// Reads `username` again whatever memory holds (memory missed a change it was told of).
    package mutating func add(_ username: String) {
        entries[username] = Entry(revision: nil, afterWrite: 0)
    }

    /// `username` was announced at `revision` while `startedWrites` writes had started.
    package mutating func add(_ username: String, revision: Int64, startedWrites: UInt64) {
        guard let known = entries[username] else {
            entries[username] = Entry(revision: revision, afterWrite: startedWrites)
            return
        }
        // An unconditional read stays unconditional and never waits longer than asked.
        entries[username] = Entry(
            revision: known.revision.map { max($0, revision) },
            afterWrite: known.revision == nil ? known.afterWrite : max(known.afterWrite, startedWrites)
        )
    }

    /// Takes what is due once `finishedWrites` writes have finished: the users to read now.
    /// Users memory already holds at the announced revision (`known`) are dropped; those whose
    /// writes are still in flight stay.
    package mutating func takeDue(finishedWrites: UInt64, known: (String) -> Int64?) -> [String] {
        var due: [String] = []
        for (username, entry) in entries {
            if let revision = entry.revision, let held = known(username), held >= revision {
                entries[username] = nil
            } else if entry.afterWrite <= finishedWrites {
                entries[username] = nil
                due.append(username)
            }
        }
        return due
    }
}
