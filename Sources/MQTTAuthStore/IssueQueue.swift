import Synchronization

/// Group commit: `issue` calls that arrive while a write is in progress wait for the next one,
/// and that next write records all of them in one transaction, so one fsync serves many
/// credentials. Each caller is answered only after the transaction holding its credential
/// has committed, so the durability promise of `issue` is unchanged.
final class IssueQueue: Sendable {
    typealias Waiter = CheckedContinuation<IssueOutcome, any Error>

    private struct State {
        var pending: [(request: IssueRequest, waiter: Waiter)] = []
        var writing = false
    }

    private let state = Mutex(State())
    /// Records one batch; returns one result per request, in order.
    private let write: @Sendable ([IssueRequest]) async -> [Result<IssueOutcome, any Error>]

    init(write: @escaping @Sendable ([IssueRequest]) async -> [Result<IssueOutcome, any Error>]) {
        self.write = write
    }

    func submit(_ request: IssueRequest) async throws -> IssueOutcome {
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
