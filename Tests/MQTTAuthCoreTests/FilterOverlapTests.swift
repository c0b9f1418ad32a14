import CMosquitto
import MQTTAuthCore
import TestSupport
import Testing

/// The overlap predicate behind strict subscribes: two filters overlap iff some valid topic
/// name matches both. Checked against a brute-force search that matches with libmosquitto's
/// own `mosquitto_topic_matches_sub`, so that neither our matcher nor our overlap walk is
/// trusted to check itself.
@Suite("Filter overlap")
struct FilterOverlapTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let a: String
        let b: String
        let overlap: Bool
        var testDescription: String { "\(a) ∩ \(b)" }
    }

    static let cases: [Case] = [
        Case(a: "a/#", b: "a", overlap: true),  // `#` matches its parent
        Case(a: "a/+", b: "a", overlap: false),
        Case(a: "a/+/x", b: "a/secret/#", overlap: true),
        Case(a: "users/+/x", b: "users/alice/#", overlap: true),
        Case(a: "users/alice/public/#", b: "users/alice/secret/#", overlap: false),
        Case(a: "a/b", b: "a/b/c", overlap: false),
        Case(a: "a/+", b: "+/b", overlap: true),
        Case(a: "a//b", b: "a/+/b", overlap: true),  // `+` matches an empty level
        Case(a: "#", b: "$SYS/x", overlap: false),  // no leading wildcard reaches `$`
        Case(a: "+/x", b: "$SYS/x", overlap: false),
        Case(a: "$SYS/#", b: "$SYS/x", overlap: true),
        Case(a: "$SYS/#", b: "#", overlap: false),
        Case(a: "$SYS/#", b: "+/#", overlap: false),
        Case(a: "#", b: "+", overlap: true),
        Case(a: "#", b: "#", overlap: true),
        Case(a: "+", b: "+/+", overlap: false),
        Case(a: "x/$y", b: "x/+", overlap: true),  // `$` matters in the first level only
        Case(a: "/#", b: "+", overlap: false),  // both match "", which is no topic
        Case(a: "/#", b: "#", overlap: true),  // `/x`
        Case(a: "/#", b: "/#", overlap: true),
        Case(a: "/#", b: "/", overlap: true),
    ]

    @Test(arguments: cases)
    func namedCases(_ c: Case) throws {
        let a = try TopicFilter(c.a)
        let b = try TopicFilter(c.b)
        #expect(a.overlaps(b) == c.overlap)
        #expect(b.overlaps(a) == c.overlap, "overlap is symmetric")
        #expect((ReferenceACL.commonTopic(a, b) != nil) == c.overlap, "the reference's witness")
        #expect(Self.bruteForce(c.a, c.b) == c.overlap, "the brute-force search")
    }

    /// Every pair of filters of up to two levels (and three with a trailing `#`) over a small
    /// alphabet, then random pairs of up to four: the overlap walk and the reference's witness must
    /// agree with the brute-force search on each.
    @Test func agreesWithBruteForce() throws {
        let levels = ["a", "b", "", "$x", "+"]
        var filters = ["#"] + levels.filter { $0 != "" }
        for x in levels {
            filters.append("\(x)/#")
            for y in levels {
                filters.append("\(x)/\(y)")
                filters.append("\(x)/\(y)/#")
            }
        }
        var pairs = filters.flatMap { a in filters.map { (a, $0) } }
        var random = SeededGenerator(seed: 0x0E7A)
        func randomFilter() -> String {
            var parts = (0..<Int.random(in: 1...3, using: &random)).map { _ in levels.randomElement(using: &random)! }
            if Bool.random(using: &random) { parts.append("#") }
            return parts == [""] ? "a" : parts.joined(separator: "/")
        }
        pairs += (0..<1000).map { _ in (randomFilter(), randomFilter()) }

        var overlapping = 0
        var disagreements: [String] = []
        for (a, b) in pairs {
            let filterA = try TopicFilter(a)
            let filterB = try TopicFilter(b)
            let expected = Self.bruteForce(a, b)
            if expected { overlapping += 1 }
            let walk = filterA.overlaps(filterB)
            let witness = ReferenceACL.commonTopic(filterA, filterB) != nil
            if walk != expected || witness != expected, disagreements.count < 10 {
                disagreements.append("\(a) ∩ \(b): brute force \(expected), walk \(walk), witness \(witness)")
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.joined(separator: "\n"))")
        // Both answers must be common, or the comparison proves little.
        #expect(overlapping > pairs.count / 10 && overlapping < pairs.count * 9 / 10, "\(overlapping) of \(pairs.count) overlap")
    }

    /// True if some topic matches both filters, by trying them all: every topic of up to one
    /// level more than the longer filter, over the literal levels of both filters, one fresh
    /// level and `$x`. A wildcard can always be given the fresh level instead of another, so if
    /// any topic matches both, one of these does. An empty topic is not valid, so not tried.
    static func bruteForce(_ a: String, _ b: String) -> Bool {
        func literals(_ filter: String) -> [String] {
            filter.split(separator: "/", omittingEmptySubsequences: false).map(String.init).filter { $0 != "+" && $0 != "#" }
        }
        let alphabet = Array(Set(literals(a) + literals(b) + ["fresh", "$x"]))
        let depth = max(a.split(separator: "/", omittingEmptySubsequences: false).count,
                        b.split(separator: "/", omittingEmptySubsequences: false).count) + 1
        var topics = alphabet
        for length in 1...depth {
            for topic in topics where !topic.isEmpty && mosquittoMatches(a, topic) && mosquittoMatches(b, topic) {
                return true
            }
            if length < depth { topics = topics.flatMap { topic in alphabet.map { topic + "/" + $0 } } }
        }
        return false
    }

    /// libmosquitto's verdict on a valid filter and topic; anything but success is a failure.
    private static func mosquittoMatches(_ filter: String, _ topic: String) -> Bool {
        var result = false
        let rc = mosquitto_topic_matches_sub(filter, topic, &result)
        precondition(rc == Int32(MOSQ_ERR_SUCCESS.rawValue), "mosquitto refused '\(filter)' against '\(topic)': \(rc)")
        return result
    }
}
