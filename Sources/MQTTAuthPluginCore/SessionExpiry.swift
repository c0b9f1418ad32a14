#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HeapModule

/// When each connected client's credential expires, so that the broker can end the session
/// then. Keyed by client id, since that is what the broker can disconnect by; each entry also
/// remembers which connection it belongs to (`owner`), so that the old connection's disconnect
/// does not erase the entry of a new connection that took over the same client id.
///
/// Every operation is O(log n): a tick that finds nothing due costs one comparison.
package struct SessionExpiry {
    private struct Entry: Comparable {
        var expiresAt: Date
        var clientID: String
        var owner: UInt

        static func < (lhs: Entry, rhs: Entry) -> Bool { lhs.expiresAt < rhs.expiresAt }
        static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.expiresAt == rhs.expiresAt && lhs.clientID == rhs.clientID && lhs.owner == rhs.owner
        }
    }

    /// The entry that counts for each client id; the heap may hold stale ones, skipped when due.
    private var current: [String: Entry] = [:]
    private var queue = Heap<Entry>()

    package init() {}

    /// The number of sessions being watched.
    package var count: Int { current.count }

    /// Watches `clientID`, authenticated on connection `owner`, until `expiresAt`. Replaces
    /// whatever was watched for that client id before.
    package mutating func track(clientID: String, owner: UInt, expiresAt: Date) {
        let entry = Entry(expiresAt: expiresAt, clientID: clientID, owner: owner)
        current[clientID] = entry
        queue.insert(entry)
        compactIfStale()
    }

    /// Stops watching `clientID` if connection `owner` is still the one watched.
    package mutating func forget(clientID: String, owner: UInt) {
        if current[clientID]?.owner == owner { current[clientID] = nil }
        compactIfStale()
    }

    /// Removes and returns the client ids whose credential has expired at `now`.
    package mutating func due(now: Date) -> [String] {
        var expired: [String] = []
        while let first = queue.min, first.expiresAt <= now {
            queue.removeMin()
            if current[first.clientID] == first {
                current[first.clientID] = nil
                expired.append(first.clientID)
            }
        }
        return expired
    }

    /// Rebuilds the heap when stale entries outnumber live ones, so that reconnecting clients
    /// with long-lived credentials cannot grow it without bound.
    private mutating func compactIfStale() {
        if queue.count > 64, queue.count > 2 * current.count {
            queue = Heap(current.values)
        }
    }
}
