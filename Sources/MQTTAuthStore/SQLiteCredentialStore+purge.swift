import Foundation
import GRDB
import Logging
import Synchronization

extension SQLiteCredentialStore {
    /// Deletes every credential with `expires_at <= now` from the database, then from the
    /// index; returns how many rows the database deleted. Identities stay bound to their
    /// usernames. Meant for a periodic background task; `authenticate` already ignores expired
    /// credentials, so purging is about space, not correctness.
    package func purgeExpired(now: Date) async throws -> Int {
        let purged = try await database.writeWithoutTransaction { db in
            let purged = try db.committed {
                try db.execute(sql: "DELETE FROM credentials WHERE expires_at <= ?", arguments: [now.timeIntervalSince1970])
                let purged = db.changesCount
                // A revoked credential's sessions cannot outlive its expiry, so neither need its record.
                try db.execute(sql: "DELETE FROM revocations WHERE expires_at <= ?", arguments: [UnixTime.seconds(now)])
                try db.execute(sql: "DELETE FROM user_blocks WHERE until <= ?", arguments: [UnixTime.seconds(now)])
                return purged
            }
            // Only this queue changes the index, so nothing can change it between the snapshot
            // and the swap; the copy is built outside the lock, which `authenticate` takes.
            let snapshot = self.index.withLock { $0 }
            let pruned = snapshot.removingExpired(now: now)
            self.index.withLock { $0 = pruned }
            return purged
        }
        logger.debug("purged expired credentials", metadata: ["store.purged": "\(purged)"])
        return purged
    }
}
