import Synchronization

/// Runs `operation` and returns its result, or throws `PostgresStoreError.timedOut` once
/// `duration` has passed, whichever comes first; on a timeout the operation is cancelled.
///
/// A task group would not do: it waits for every child before it returns, and a query stuck
/// on a dead connection may take much longer than the deadline to notice its cancellation.
/// Here the caller is answered at the deadline, or as soon as it is cancelled itself, and the
/// cancelled operation ends on its own.
func withDeadline<Value: Sendable>(
    _ duration: Duration,
    _ what: String,
    operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let outcome = Mutex<CheckedContinuation<Value, any Error>?>(nil)
    let work = Mutex<[Task<Void, Never>]>([])
    /// Answers the caller once, then cancels whatever still runs.
    let finish: @Sendable (Result<Value, any Error>) -> Void = { result in
        guard let continuation = outcome.withLock({ $0.take() }) else { return }
        continuation.resume(with: result)
        for task in work.withLock({ $0 }) { task.cancel() }
    }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            outcome.withLock { $0 = continuation }
            let run = Task { finish(await Result(catching: { try await operation() })) }
            let timer = Task {
                try? await Task.sleep(for: duration)
                if !Task.isCancelled { finish(.failure(PostgresStoreError.timedOut(what, after: duration))) }
            }
            work.withLock { $0 = [run, timer] }
            // If either finished before the tasks were recorded, cancel them now; and a caller
            // cancelled meanwhile is answered now too.
            if outcome.withLock({ $0 == nil }) { run.cancel(); timer.cancel() }
            if Task.isCancelled { finish(.failure(CancellationError())) }
        }
    } onCancel: {
        // The caller is answered at once, whether or not the operation notices: a pool that is
        // shutting down may never answer a request for a connection.
        finish(.failure(CancellationError()))
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
