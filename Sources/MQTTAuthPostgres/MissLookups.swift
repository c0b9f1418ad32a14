import Foundation

/// The bound on database look-ups for passwords memory does not know (docs/architecture.md §9).
///
/// A miss may be a credential another daemon issued a moment ago, so it must ask the database
/// before it refuses; but a guesser sending random usernames or passwords must not turn every
/// `/mqtt/auth` into a query. The limits:
/// - **Users this daemon knows** (it holds or has read credentials of theirs) have a small
///   bucket each (`perUserRate` a second, bursts of `perUserBurst`): a user's new credential
///   from another daemon costs one look-up, and a guesser aiming at one user gets a few.
/// - **Every other username** shares one bucket for the whole daemon (`database_miss_lookups`,
///   100 a second with bursts of 200 by default): past it such a miss is refused from memory.
///   A guesser of random usernames drains only this bucket, never the known users' ones.
/// - **Known-bad pairs**: a set of (username, password hash) pairs the database has already
///   said are unknown. A password is 256 random bits issued only after its commit, so one that
///   was not in the database when it was asked for can never become valid later; repeating it
///   (a client reconnecting with a stale password) costs nothing.
///
/// The per-user buckets and the set are emptied when they reach `rememberedLimit` entries, so
/// memory stays bounded. An empty bucket delays, never breaks, a fresh credential from another
/// daemon: the change feed brings it into memory within a second.
struct MissLookups: Sendable {
    struct Key: Hashable, Sendable {
        let username: String
        let hash: [UInt8]
    }

    struct Bucket: Sendable {
        var tokens: Double
        var refilled: ContinuousClock.Instant

        /// Refills at `rate` up to `burst`, then takes a token if there is one.
        mutating func take(rate: Double, burst: Double, now: ContinuousClock.Instant) -> Bool {
            let elapsed = now - refilled
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            tokens = min(burst, tokens + seconds * rate)
            refilled = now
            guard tokens >= 1 else { return false }
            tokens -= 1
            return true
        }
    }

    let rate: Double
    let burst: Double
    static let perUserRate = 2.0
    static let perUserBurst = 5.0
    static let rememberedLimit = 10_000
    private var shared: Bucket
    private var perUser: [String: Bucket] = [:]
    private var unknown: Set<Key> = []

    init(rate: Double, burst: Int, now: ContinuousClock.Instant = .now) {
        self.rate = rate
        self.burst = Double(burst)
        shared = Bucket(tokens: Double(burst), refilled: now)
    }

    /// Whether a miss for `key` may ask the database now; takes a token if so. `knownUser`:
    /// whether this daemon holds or has read credentials of the user.
    mutating func admit(_ key: Key, knownUser: Bool, now: ContinuousClock.Instant = .now) -> Bool {
        if unknown.contains(key) { return false }
        guard knownUser else { return shared.take(rate: rate, burst: burst, now: now) }
        if perUser.count >= Self.rememberedLimit, perUser[key.username] == nil { perUser.removeAll(keepingCapacity: true) }
        return perUser[key.username, default: Bucket(tokens: Self.perUserBurst, refilled: now)]
            .take(rate: Self.perUserRate, burst: Self.perUserBurst, now: now)
    }

    /// The database said `key` is not a valid credential.
    mutating func rememberUnknown(_ key: Key) {
        if unknown.count >= Self.rememberedLimit { unknown.removeAll(keepingCapacity: true) }
        unknown.insert(key)
    }
}
