import CMosquitto
import MQTTAuthCore
import TestSupport
import Testing

// Differential test: our TopicFilter/TopicName/matches against libmosquitto 2.0.11's
// `mosquitto_topic_matches_sub`, the function docs/architecture.md §7 names as the reference.
//
// What libmosquitto 2.0.11 counts as invalid, found by experiment (a C program calling the
// library on the inputs below) and how this file compares each class:
//
// * `mosquitto_topic_matches_sub` validates lazily. It walks filter and topic together and
//   returns MOSQ_ERR_SUCCESS with result false as soon as a character differs, without looking
//   at the rest of either string: `a+` vs `zzz`, `b#` vs `zzz`, `a/b+` vs `a`, and `x` vs the
//   topic `a+` all return SUCCESS/false, while `foo#` vs `foo`, `a` vs `a+` and `#` vs `+` return
//   MOSQ_ERR_INVAL. Its verdict on an invalid pair depends on where the walk stops, so it cannot
//   be compared one-to-one with our validation. For pairs we consider invalid this test therefore
//   requires that mosquitto does not report a match (INVAL, or SUCCESS with false), with the
//   one exactly predicted exception of the next point.
//   Whether each string is valid is compared against libmosquitto's own validators instead,
//   `mosquitto_sub_topic_check` (filters) and `mosquitto_pub_topic_check` (topic names),
//   which check the whole string.
// * One class of invalid filter is reported as a match. When a `+` level has just consumed the
//   topic's last level and the rest of the filter starts with `/#` but is not exactly `/#`,
//   2.0.11 answers SUCCESS/true without reading further: `+/#/+` vs `x`, `a/+/#/b` vs `a/b`,
//   `+/#x` vs `a` and `+/##` vs `a` all "match", although `mosquitto_sub_topic_check` rejects
//   each of those filters (and the broker never matches with a filter it refused). The same
//   filters against a longer topic give MOSQ_ERR_INVAL, and the literal path is not affected
//   (`sport/#/x` vs `sport` is MOSQ_ERR_INVAL). We reject these filters. The test does not skip
//   them: `mosquittoPlusHashQuirk` predicts exactly when 2.0.11 gives this answer, and any
//   invalid pair mosquitto calls a match must be predicted, and every predicted one must occur.
// * Empty strings: those two validators accept "" in 2.0.11, but `mosquitto_topic_matches_sub`
//   rejects an empty filter or topic with MOSQ_ERR_INVAL (as §7 says), and so do we. The
//   validity comparison therefore counts "" as invalid on mosquitto's side as well.
// * Length: `mosquitto_topic_matches_sub` does not check length at all (a 65536-byte filter
//   matches itself), the validators refuse more than 65535 bytes, as we do. The generated
//   strings are short; `lengthLimitAgreesWithMosquittoValidators` covers the boundary.
// * UTF-8 and NUL are not compared: a Swift `String` is always valid UTF-8 (2.0.11's
//   validators do not check UTF-8 either, despite the header's comment), and a NUL cannot
//   cross a C string (`mosquitto_topic_matches_sub2` ignores its length arguments in 2.0.11).
//
// For every pair whose filter and topic are both valid (by our types, which must also agree
// with mosquitto's validators), the comparison is exact: mosquitto must return
// MOSQ_ERR_SUCCESS and the same result as `matches`. Zero disagreements are allowed.
//
// `mosquitto_lib_init()` is not called: the topic functions keep no library state (checked by
// calling them without it).

private let mosqSuccess = Int32(MOSQ_ERR_SUCCESS.rawValue)
private let mosqInvalid = Int32(MOSQ_ERR_INVAL.rawValue)

/// Helpers over the suite's seeded SplitMix64 (`SeededGenerator`, in TestSupport).
extension SeededGenerator {
    /// A value in `0..<bound` (the modulo bias is irrelevant for a test generator).
    mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }

    /// True with probability `numerator / denominator`.
    mutating func chance(_ numerator: Int, in denominator: Int) -> Bool {
        below(denominator) < numerator
    }

    mutating func pick(_ items: [String]) -> String {
        items[below(items.count)]
    }
}

/// Builds (filter, topic) pairs from a small alphabet of levels, so that matches are frequent.
private struct PairGenerator {
    /// Every level a filter may use: valid literals, `$` levels, wildcards, and levels that hold
    /// a wildcard without being one (invalid in filters and topics alike).
    static let levels = ["a", "b", "sport", "", "$SYS", "$x", "+", "#", "a+", "b#", "x y", "é"]
    /// The levels that are valid in a topic name.
    static let plainLevels = ["a", "b", "sport", "", "$SYS", "$x", "x y", "é"]

    var random: SeededGenerator

    mutating func pair() -> (filter: String, topic: String) {
        let filterLevels = (0..<(1 + random.below(5))).map { _ in random.pick(Self.levels) }
        let filter = decorate(filterLevels)
        // Half the topics are drawn independently; the other half are instances of the filter,
        // often mutated, so that a good share of pairs match or nearly match.
        let topicLevels = random.chance(1, in: 2) ? independentTopicLevels() : instance(of: filterLevels)
        return (filter, decorate(topicLevels))
    }

    /// 1–5 levels, mostly valid in a topic; one in ten is any level, wildcards included.
    private mutating func independentTopicLevels() -> [String] {
        (0..<(1 + random.below(5))).map { _ in
            random.chance(1, in: 10) ? random.pick(Self.levels) : random.pick(Self.plainLevels)
        }
    }

    /// A topic the filter would match if it were valid: `+` becomes one plain level, `#` zero to
    /// two. Then, one time in three, one level is replaced by any level or one is dropped or added.
    private mutating func instance(of filterLevels: [String]) -> [String] {
        var topic: [String] = []
        for level in filterLevels {
            switch level {
            case "+":
                topic.append(random.pick(Self.plainLevels))
            case "#":
                for _ in 0..<random.below(3) { topic.append(random.pick(Self.plainLevels)) }
            default:
                topic.append(level)
            }
        }
        if random.chance(1, in: 3) {
            switch random.below(3) {
            case 0 where !topic.isEmpty:
                topic[random.below(topic.count)] = random.pick(Self.levels)
            case 1 where topic.count > 1:
                topic.remove(at: random.below(topic.count))
            default:
                topic.insert(random.pick(Self.levels), at: random.below(topic.count + 1))
            }
        }
        // `sport/#` instantiated with zero levels is `sport`; `#` alone with zero levels is
        // the empty topic, which stays in as an invalid case.
        return topic
    }

    /// Joins levels with `/`, sometimes with an extra leading or trailing slash.
    private mutating func decorate(_ levels: [String]) -> String {
        var text = levels.joined(separator: "/")
        if random.chance(1, in: 12) { text = "/" + text }
        if random.chance(1, in: 12) { text += "/" }
        return text
    }
}

/// One side's verdict on a pair.
private enum Verdict: Equatable, CustomStringConvertible {
    case match
    case noMatch
    case invalid

    var description: String {
        switch self {
        case .match: "match"
        case .noMatch: "no match"
        case .invalid: "invalid"
        }
    }
}

private func ourVerdict(filter: String, topic: String) -> Verdict {
    guard let parsedFilter = try? TopicFilter(filter), let name = try? TopicName(topic) else { return .invalid }
    return parsedFilter.matches(name) ? .match : .noMatch
}

/// `mosquitto_topic_matches_sub`, with any return code other than SUCCESS and INVAL reported
/// as a failure of its own.
private func mosquittoVerdict(filter: String, topic: String) -> (verdict: Verdict?, rc: Int32) {
    var result = false
    let rc = mosquitto_topic_matches_sub(filter, topic, &result)
    switch rc {
    case mosqSuccess: return (result ? .match : .noMatch, rc)
    case mosqInvalid: return (.invalid, rc)
    default: return (nil, rc)
    }
}

/// libmosquitto's whole-string validators, with "" counted invalid (see the comment at the top).
private func mosquittoFilterIsValid(_ filter: String) -> Bool {
    !filter.isEmpty && mosquitto_sub_topic_check(filter) == mosqSuccess
}

private func mosquittoTopicIsValid(_ topic: String) -> Bool {
    !topic.isEmpty && mosquitto_pub_topic_check(topic) == mosqSuccess
}

/// True when libmosquitto 2.0.11 reports a match for this invalid filter through the quirk
/// described at the top: some level k-1 of the filter is `+`, level k starts with `#` and is
/// not a final `#` (so the text after the `+` starts with `/#` and is more than `/#`), and the
/// filter's first k levels, a valid filter ending in `+`, match the topic exactly.
private func mosquittoPlusHashQuirk(filter: String, topic: String) -> Bool {
    let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
    guard let name = try? TopicName(topic) else { return false }
    for k in levels.indices.dropFirst() where levels[k - 1] == "+" && levels[k].hasPrefix("#") {
        if k == levels.count - 1, levels[k] == "#" { continue }
        let prefix = levels[..<k].joined(separator: "/")
        if let prefixFilter = try? TopicFilter(prefix), prefixFilter.matches(name) { return true }
    }
    return false
}

private func quoted(_ text: String) -> String { "'\(text)'" }

@Suite("Topic matching vs libmosquitto")
struct TopicMatchingDifferentialTests {
    static let seed: UInt64 = 0x6D71_7474_6175_7468 // "mqttauth"
    static let pairCount = 200_000

    @Test func generatedPairsAgreeWithMosquitto() {
        var generator = PairGenerator(random: SeededGenerator(seed: Self.seed))
        var disagreements: [String] = []
        var disagreementCount = 0
        var matched = 0, notMatched = 0, invalid = 0
        var invalidFilters = 0, invalidTopics = 0
        var mosquittoRejected = 0, mosquittoPassedAsNoMatch = 0, mosquittoQuirkMatches = 0
        var distinct = Set<String>()

        func disagree(_ message: String) {
            disagreementCount += 1
            if disagreements.count < 20 { disagreements.append(message) }
        }

        for _ in 0..<Self.pairCount {
            let (filter, topic) = generator.pair()
            if distinct.count < 50_000 { distinct.insert(filter + "\u{0}" + topic) }
            let ours = ourVerdict(filter: filter, topic: topic)
            let (theirs, rc) = mosquittoVerdict(filter: filter, topic: topic)
            let pair = "filter \(quoted(filter)) topic \(quoted(topic))"

            let ourFilterValid = (try? TopicFilter(filter)) != nil
            let ourTopicValid = (try? TopicName(topic)) != nil
            if ourFilterValid != mosquittoFilterIsValid(filter) {
                disagree("\(pair): filter valid here \(ourFilterValid), mosquitto_sub_topic_check says \(!ourFilterValid)")
            }
            if ourTopicValid != mosquittoTopicIsValid(topic) {
                disagree("\(pair): topic valid here \(ourTopicValid), mosquitto_pub_topic_check says \(!ourTopicValid)")
            }
            guard let theirs else {
                disagree("\(pair): mosquitto_topic_matches_sub returned unexpected rc \(rc)")
                continue
            }

            switch ours {
            case .match, .noMatch:
                if ours == .match { matched += 1 } else { notMatched += 1 }
                if theirs != ours { disagree("\(pair): ours \(ours), mosquitto \(theirs) (rc \(rc))") }
            case .invalid:
                invalid += 1
                if !ourFilterValid { invalidFilters += 1 }
                if !ourTopicValid { invalidTopics += 1 }
                let quirk = mosquittoPlusHashQuirk(filter: filter, topic: topic)
                switch theirs {
                case .invalid: mosquittoRejected += 1
                case .noMatch: mosquittoPassedAsNoMatch += 1 // lazy validation, see the top comment
                case .match where quirk: mosquittoQuirkMatches += 1
                case .match: disagree("\(pair): invalid here, but mosquitto reports a match")
                }
                if quirk, theirs != .match {
                    disagree("\(pair): the `+/#` quirk predicted a mosquitto match, got \(theirs)")
                }
            }
        }

        let valid = matched + notMatched
        print("""
            topic matching differential: \(Self.pairCount) pairs (seed \(Self.seed)), \
            \(distinct.count) distinct in the first 50000; valid \(valid) (match \(matched), \
            no match \(notMatched)); invalid \(invalid) (filter invalid \(invalidFilters), \
            topic invalid \(invalidTopics); mosquitto INVAL \(mosquittoRejected), \
            mosquitto SUCCESS/false \(mosquittoPassedAsNoMatch), mosquitto SUCCESS/true by the \
            `+/#` quirk \(mosquittoQuirkMatches)); disagreements \(disagreementCount)
            """)

        #expect(
            disagreementCount == 0,
            "\(disagreementCount) disagreements with libmosquitto; first ones:\n\(disagreements.joined(separator: "\n"))"
        )
        // The generator must keep producing a useful mix, or the comparison above proves little.
        #expect(matched * 100 > Self.pairCount * 5, "only \(matched) of \(Self.pairCount) pairs matched")
        #expect(notMatched * 100 > Self.pairCount * 5, "only \(notMatched) of \(Self.pairCount) valid pairs did not match")
        #expect(valid * 100 > Self.pairCount * 30, "only \(valid) of \(Self.pairCount) pairs were valid")
        #expect(invalidFilters * 100 > Self.pairCount * 5, "only \(invalidFilters) pairs had an invalid filter")
        #expect(invalidTopics * 100 > Self.pairCount * 5, "only \(invalidTopics) pairs had an invalid topic")
        #expect(mosquittoRejected * 100 > Self.pairCount * 2, "mosquitto rejected only \(mosquittoRejected) pairs")
        #expect(distinct.count > 10_000, "only \(distinct.count) distinct pairs among the first 50000")
    }

    /// The generator is deterministic: the same seed gives the same pairs.
    @Test func generatorIsReproducible() {
        var first = PairGenerator(random: SeededGenerator(seed: Self.seed))
        var second = PairGenerator(random: SeededGenerator(seed: Self.seed))
        var other = PairGenerator(random: SeededGenerator(seed: Self.seed &+ 1))
        var same = true, differsFromOtherSeed = false
        for _ in 0..<1000 {
            let a = first.pair(), b = second.pair(), c = other.pair()
            if a != b { same = false }
            if a != c { differsFromOtherSeed = true }
        }
        #expect(same)
        #expect(differsFromOtherSeed)
    }

    struct TableRow: Sendable, CustomTestStringConvertible {
        let filter: String
        let topic: String
        /// nil: the pair is invalid.
        let match: Bool?

        var testDescription: String {
            let outcome = match.map { $0 ? "match" : "no match" } ?? "invalid"
            return "\(quoted(filter)) vs \(quoted(topic)): \(outcome)"
        }
    }

    /// docs/architecture.md §7's table, row by row.
    static let designTable: [TableRow] = [
        TableRow(filter: "sport/#", topic: "sport", match: true),
        TableRow(filter: "sport/+", topic: "sport", match: false),
        TableRow(filter: "sport/+", topic: "sport/", match: true),
        TableRow(filter: "+/+", topic: "/finance", match: true),
        TableRow(filter: "+", topic: "/finance", match: false),
        TableRow(filter: "#", topic: "$SYS/broker", match: false),
        TableRow(filter: "+/broker", topic: "$SYS/broker", match: false),
        TableRow(filter: "$SYS/#", topic: "$SYS", match: true),
        TableRow(filter: "foo/+/bar", topic: "foo//bar", match: true),
        TableRow(filter: "foo/bar", topic: "foo/bar/", match: false),
        TableRow(filter: "foo#", topic: "foo", match: nil),
        TableRow(filter: "foo/+bar", topic: "foo/xbar", match: nil),
        TableRow(filter: "", topic: "foo", match: nil),
        TableRow(filter: "foo", topic: "", match: nil),
        TableRow(filter: "", topic: "", match: nil),
    ]

    @Test(arguments: designTable)
    func designTableAgreesWithBothMatchers(_ row: TableRow) {
        let expected: Verdict = row.match.map { $0 ? .match : .noMatch } ?? .invalid
        #expect(ourVerdict(filter: row.filter, topic: row.topic) == expected, "our matcher")
        let (theirs, rc) = mosquittoVerdict(filter: row.filter, topic: row.topic)
        #expect(theirs == expected, "libmosquitto returned rc \(rc)")
    }

    /// The 2.0.11 quirk the generated comparison tolerates (see the top of the file), pinned on
    /// examples, with pairs on both sides of it: `predicted` is whether the quirk model says
    /// match, `mosquitto` what libmosquitto answers.
    @Test(arguments: [
        ("+/#/+", "x", true, "match"),
        ("a/+/#/b", "a/b", true, "match"),
        ("+/#x", "a", true, "match"),
        ("+/##", "a", true, "match"),
        ("+/#/+", "$x", false, "no match"),
        ("+/#/+", "x/y", false, "invalid"),
        ("a/+/#/b", "a/b/c", false, "invalid"),
        ("sport/#/x", "sport", false, "invalid"),
        ("a+/+/#/x", "a/b", false, "invalid"),
    ])
    func plusHashQuirkIsPredicted(_ filter: String, _ topic: String, _ predicted: Bool, _ mosquitto: String) {
        #expect((try? TopicFilter(filter)) == nil, "our side rejects the filter")
        #expect(!mosquittoFilterIsValid(filter), "mosquitto_sub_topic_check rejects the filter")
        #expect(mosquittoPlusHashQuirk(filter: filter, topic: topic) == predicted)
        let (theirs, rc) = mosquittoVerdict(filter: filter, topic: topic)
        #expect(theirs?.description == mosquitto, "libmosquitto returned rc \(rc)")
    }

    /// Length is the one validity rule `mosquitto_topic_matches_sub` does not apply; the
    /// validators do, and agree with ours at the 65535-byte boundary.
    @Test(arguments: [65535, 65536])
    func lengthLimitAgreesWithMosquittoValidators(_ length: Int) {
        let text = String(repeating: "a", count: length)
        let filterWithHash = String(repeating: "a", count: length - 2) + "/#"
        #expect(((try? TopicName(text)) != nil) == mosquittoTopicIsValid(text))
        #expect(((try? TopicFilter(text)) != nil) == mosquittoFilterIsValid(text))
        #expect(((try? TopicFilter(filterWithHash)) != nil) == mosquittoFilterIsValid(filterWithHash))
        #expect(mosquittoTopicIsValid(text) == (length <= 65535))
        #expect(mosquittoFilterIsValid(filterWithHash) == (length <= 65535))
    }
}
