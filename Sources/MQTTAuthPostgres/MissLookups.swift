import Foundation

/// The bound on database look-ups for passwords memory does not know (docs/architecture.md §9).
///
/// A miss may be a credential another daemon issued a moment ago, so it must ask the database
/// before it refuses; but a guesser sending random usernames or passwords must not turn every
/// `/mqtt/auth` into a query. Two limits do that:
/// - a token bucket for the whole daemon (`database_miss_lookups`, 100 a second with a burst
///   of 200 by default): past it a miss is refused from memory;
/// - a set of (username, password hash) pairs the database has already said are unknown. A
///   password is 256 random bits issued only after its commit, so one that was not in the
///   database when it was asked for can never become valid later; repeating it (a client
///   reconnecting with a stale password) costs nothing. The set is emptied when it reaches
///   `rememberedLimit`, so it stays small.
///
/// An empty bucket delays, never breaks, a fresh credential from another daemon: the change
/// feed brings it into memory within a second.
struct MissLookups: Sendable {
    struct Key: Hashable, Sendable {
        let username: String
        let hash: [UInt8]
    }

    let rate: Double
    let burst: Double
    private var tokens: Double
    private var refilled: ContinuousClock.Instant
    private var unknown: Set<Key> = []
    static let rememberedLimit = 10_000

    init(rate: Double, burst: Int, now: ContinuousClock.Instant = .now) {
        self.rate = rate
        self.burst = Double(burst)
        tokens = Double(burst)
        refilled = now
    }

    /// Whether a miss for `key` may ask the database now; takes a token if so.
    mutating func admit(_ key: Key, now: ContinuousClock.Instant = .now) -> Bool {
        if unknown.contains(key) { return false }
        let elapsed = now - refilled
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(burst, tokens + seconds * rate)
        refilled = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// The database said `key` is not a valid credential.
    mutating func rememberUnknown(_ key: Key) {
        if unknown.count >= Self.rememberedLimit { unknown.removeAll(keepingCapacity: true) }
        unknown.insert(key)
    }
}
