import Foundation
import Synchronization

/// Token buckets by key (an API key's name, a client's address): each holds up to `burst`
/// tokens and refills at `rate` tokens a second. Thread-safe; memory stays bounded because
/// buckets that have refilled completely are forgotten (a full bucket is the same as none).
package final class RateLimiter: Sendable {
    package struct Limit: Sendable, Equatable {
        /// Tokens added per second.
        package var rate: Double
        /// The most tokens a bucket holds: how many requests may come at once after a pause.
        package var burst: Int

        package init(rate: Double, burst: Int) {
            self.rate = rate
            self.burst = burst
        }
    }

    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    private let buckets = Mutex<[String: Bucket]>([:])
    /// Above this many buckets, full ones are swept out before a new one is added.
    private let sweepThreshold: Int

    init(sweepThreshold: Int = 10_000) {
        self.sweepThreshold = sweepThreshold
    }

    /// Takes one token from `key`'s bucket. Returns nil when there was one, or else the whole
    /// seconds until there will be (for `Retry-After`), taking nothing.
    func take(_ key: String, limit: Limit, now: Double) -> Int? {
        buckets.withLock { buckets in
            var bucket = refilled(buckets[key], limit: limit, now: now)
            guard bucket.tokens >= 1 else { return Self.wait(bucket, limit) }
            bucket.tokens -= 1
            if buckets[key] == nil, buckets.count >= sweepThreshold { sweep(&buckets, limit: limit, now: now) }
            buckets[key] = bucket
            return nil
        }
    }

    /// Like `take`, but only looks: nil while `key` has a token left.
    func check(_ key: String, limit: Limit, now: Double) -> Int? {
        buckets.withLock { buckets in
            let bucket = refilled(buckets[key], limit: limit, now: now)
            return bucket.tokens >= 1 ? nil : Self.wait(bucket, limit)
        }
    }

    var count: Int { buckets.withLock { $0.count } }

    private func refilled(_ bucket: Bucket?, limit: Limit, now: Double) -> Bucket {
        let burst = Double(limit.burst)
        guard var bucket else { return Bucket(tokens: burst, updated: now) }
        bucket.tokens = min(burst, bucket.tokens + max(0, now - bucket.updated) * limit.rate)
        bucket.updated = now
        return bucket
    }

    private func sweep(_ buckets: inout [String: Bucket], limit: Limit, now: Double) {
        buckets = buckets.filter { refilled($0.value, limit: limit, now: now).tokens < Double(limit.burst) }
    }

    private static func wait(_ bucket: Bucket, _ limit: Limit) -> Int {
        guard limit.rate > 0 else { return 3600 }
        return max(1, Int(((1 - bucket.tokens) / limit.rate).rounded(.up)))
    }
}
