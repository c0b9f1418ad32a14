import Foundation
import Logging
import MQTTAuthStore
import PostgresNIO
import ServiceLifecycle
import Synchronization

extension PostgresCredentialStore {
    /// Everything memory re-reads at least this often, besides after every lost feed.
    static let fullResyncInterval = Duration.seconds(300)

    /// Follows the other daemons until cancelled (a graceful shutdown): the change feed on its
    /// own connection, the refetch of the users it names, and the periodic full read.
    package func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.followFeed() }
                group.addTask { await self.refetchLoop() }
                group.addTask { await self.resyncLoop() }
                await group.waitForAll()
            }
        }
    }

    /// LISTEN on a connection of its own; after every (re)connection, one full read, so that
    /// nothing announced while the feed was down is missed (the read starts after LISTEN).
    func followFeed() async {
        var delay = Duration.milliseconds(200)
        while !Task.isCancelled {
            do {
                // Bounded by the connection's own connect timeout (`settings.timeout`).
                let connection = try await PostgresConnection.connect(configuration: connectionConfiguration, id: 1, logger: logger)
                do {
                    try await withTaskCancellationHandler {
                        try await connection.listen(on: PostgresSchema.channel) { notifications in
                            try await resync(reason: "the change feed (re)connected")
                            delay = .milliseconds(200)
                            for try await notification in notifications {
                                handle(notification.payload)
                            }
                        }
                    } onCancel: {
                        connection.close().whenComplete { _ in }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
                if !Task.isCancelled { throw PostgresStoreError("the change feed ended") }
            } catch {
                if Task.isCancelled { return }
                noteFailure(error, "following the change feed")
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    /// A notice: lines `u<revision>:<username>` (refetch each user unless memory already has
    /// that revision), or `p<unix seconds>` (credentials expiring by then were purged), or
    /// `k<name>` (a stored API key changed: read the keys again).
    func handle(_ payload: String) {
        if payload.hasPrefix("k") {
            keysChanged.store(true, ordering: .relaxed)
            wakeRefetch.yield()
            return
        }
        if payload.hasPrefix("p"), let seconds = Int64(payload.dropFirst()) {
            index.withLock { $0.removeExpired(now: UnixTime.date(seconds)) }
            return
        }
        var wanted: [(username: String, revision: Int64)] = []
        for line in payload.split(separator: "\n") {
            guard line.hasPrefix("u"), let colon = line.firstIndex(of: ":"), let revision = Int64(line[line.index(after: line.startIndex)..<colon]) else {
                logger.warning("ignored an unknown change notice", metadata: ["notice.length": "\(payload.utf8.count)"])
                return
            }
            wanted.append((String(line[line.index(after: colon)...]), revision))
        }
        index.withLock { index in
            wanted.removeAll { change in index.revision(of: change.username).map { $0 >= change.revision } ?? false }
        }
        guard !wanted.isEmpty else { return }
        // Loaded after the notice arrived, so it counts the write whose commit sent it, if ours.
        let started = writesStarted.load(ordering: .sequentiallyConsistent)
        pendingUsers.withLock { pending in
            for change in wanted { pending.add(change.username, revision: change.revision, startedWrites: started) }
        }
        wakeRefetch.yield()
    }

    /// Refetches the announced users that are due (`PendingRefetches`), all in one query.
    func refetchLoop() async {
        for await _ in refetchWakes {
            if keysChanged.exchange(false, ordering: .relaxed) {
                do {
                    try await reloadAPIKeys()
                } catch {
                    noteFailure(error, "reading the API keys")
                    needsResync.store(true, ordering: .relaxed)
                }
            }
            let finished = writesFinished.load(ordering: .sequentiallyConsistent)
            let batch = pendingUsers.withLock { pending in
                pending.takeDue(finishedWrites: finished) { username in index.withLock { $0.revision(of: username) } }
            }
            if batch.isEmpty { continue }
            refetched.add(batch.count, ordering: .relaxed)
            do {
                let now = Date()
                let reads = try await withDeadline(settings.timeout, "refetching changed users") { [self] in
                    try await fetchUsers(batch, now: now)
                }
                index.withLock { index in
                    for (username, read) in reads { index.apply(read, for: username) }
                }
            } catch {
                noteFailure(error, "refetching changed users")
                needsResync.store(true, ordering: .relaxed)
            }
        }
    }

    /// A full read every `fullResyncInterval`, and soon after a refetch failed.
    func resyncLoop() async {
        var last = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            guard needsResync.load(ordering: .relaxed) || ContinuousClock.now - last >= Self.fullResyncInterval else { continue }
            do {
                try await resync(reason: needsResync.load(ordering: .relaxed) ? "a refetch failed" : "periodic")
                last = .now
            } catch {
                noteFailure(error, "reading every credential")
            }
        }
    }

    /// Reads every unexpired credential and merges it into memory (`SyncedIndex.merged`).
    func resync(reason: String) async throws {
        let now = Date()
        let since = index.withLock { $0.generation }
        needsResync.store(false, ordering: .relaxed)
        let keysTicket = apiKeys.ticket()
        let (snapshot, keys) = try await withDeadline(settings.timeout, "reading every credential") { [self] in
            try await client.withConnection { connection in
                (try await Self.readAll(connection, now: now, logger: logger), try await Self.readAPIKeys(connection, logger: logger))
            }
        }
        index.withLock { $0 = $0.merged(with: snapshot, since: since) }
        apiKeys.replace(with: keys, ticket: keysTicket)
        markReachable()
        logger.debug("read every credential", metadata: ["reason": "\(reason)", "store.users": "\(snapshot.count)"])
    }
}
