import Synchronization

/// Group commit: `issue` calls that arrive while a write is in progress wait for the next one,
/// and that next write records all of them in one transaction, so one fsync serves many
/// credentials. Each caller is answered only after the transaction holding its credential
/// has committed, so the durability promise of `issue` is unchanged. Both stores use it: the
/// SQLite one with `IssueRequest`, the PostgreSQL one with its own request type.
package final class IssueQueue<Request: Sendable, Outcome: Sendable>: Sendable {
    typealias Waiter = CheckedContinuation<Outcome, any Error>

    private struct State {
        var pending: [(request: Request, waiter: Waiter)] = []
        var writing = false
    }

    private let state = Mutex(State())
    /// Records one batch; returns one result per request, in order.
    private let write: @Sendable ([Request]) async -> [Result<Outcome, any Error>]

    package init(write: @escaping @Sendable ([Request]) async -> [Result<Outcome, any Error>]) {
        self.write = write
    }

    package func submit(_ request: Request) async throws -> Outcome {
        try await withCheckedThrowingContinuation { waiter in
            let startWriter = state.withLock { state in
                state.pending.append((request, waiter))
                defer { state.writing = true }
                return !state.writing
            }
            if startWriter {
                Task { await drain() }
            }
        }
    }

    /// Writes batches until nobody is waiting.
    private func drain() async {
        while true {
            let batch = state.withLock { state in
                defer { state.pending.removeAll(keepingCapacity: true) }
                if state.pending.isEmpty { state.writing = false }
                return state.pending
            }
            if batch.isEmpty { return }
            let results = await write(batch.map(\.request))
            precondition(results.count == batch.count, "one result per request")
            for (entry, result) in zip(batch, results) {
                entry.waiter.resume(with: result)
            }
        }
    }
}
