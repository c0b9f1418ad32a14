import MQTTAuthCore
import Testing

@Suite("Topic names and filters")
struct TopicValidationTests {
    @Test(arguments: ["a", "a/b", "/", "a//b", "$SYS/broker", "é/ü", "x y", String(repeating: "a", count: 65535)])
    func validNames(_ text: String) throws {
        let name = try TopicName(text)
        #expect(name.levels.joined(separator: "/") == text)
    }

    @Test(arguments: [
        ("", "topic is empty"),
        ("a/+", "a topic name cannot contain '+' or '#'"),
        ("a/#", "a topic name cannot contain '+' or '#'"),
        ("a\u{0}b", "topic contains a NUL character"),
        (String(repeating: "a", count: 65536), "topic is longer than 65535 bytes"),
    ])
    func invalidNames(_ text: String, _ why: String) {
        #expect(throws: TopicError(why)) { try TopicName(text) }
    }

    @Test func levelsKeepEmptyLevels() throws {
        #expect(try TopicName("/a//").levels == ["", "a", "", ""])
    }

    @Test(arguments: ["#", "+", "a/+/b", "a/#", "+/+", "/", "$SYS/#", "a//+"])
    func validFilters(_ text: String) throws {
        #expect(try TopicFilter(text).description == text)
    }

    @Test(arguments: [
        ("a/#/b", "'#' must be a whole level and the last one"),
        ("foo#", "'#' must be a whole level and the last one"),
        ("foo+", "'+' must be a whole level"),
        ("foo/+bar", "'+' must be a whole level"),
        ("", "topic is empty"),
        ("a\u{0}", "topic contains a NUL character"),
    ])
    func invalidFilters(_ text: String, _ why: String) {
        #expect(throws: TopicError(why)) { try TopicFilter(text) }
    }

    @Test func sharedSubscriptionIsCheckedAsItsFilter() throws {
        let filter = try TopicFilter("$share/group/users/+/x", subscription: true)
        #expect(filter.description == "users/+/x")
        #expect(filter.levels == [.literal("users"), .plus, .literal("x")])
        // Outside a subscription, `$share` is an ordinary first level.
        #expect(try TopicFilter("$share/group/a").levels.count == 3)
    }

    @Test(arguments: ["$share/group", "$share//a", "$share/g/", "$share/g+/a", "$share/#/a"])
    func malformedSharedSubscriptions(_ text: String) {
        #expect(throws: TopicError.self) { try TopicFilter(text, subscription: true) }
    }
}

@Suite("Filter subsumption")
struct SubsumptionTests {
    @Test(arguments: [
        ("a/#", "a/+/b", true),
        ("a/#", "a", true),
        ("a/#", "a/#", true),
        ("a/+", "a/#", false),
        ("a/+", "a/b", true),
        ("a/+", "a/+", true),
        ("a/b", "a/+", false),
        ("a", "a/#", false),
        ("#", "#", true),
        ("#", "+/x", true),
        ("#", "$SYS/#", false),
        ("+/#", "$SYS/x", false),
        ("$SYS/#", "$SYS/x/#", true),
        ("+", "+", true),
        ("+", "", false),
        ("a/+/c", "a/b/c", true),
        ("a/+/c", "a/b/#", false),
        ("a/b/+/#", "a/b/#", false),
        ("a//b", "a//b", true),
        ("a/+/b", "a//b", true),
    ])
    func covers(_ pattern: String, _ request: String, _ expected: Bool) throws {
        let requestFilter = try? TopicFilter(request)
        guard let requestFilter else {
            #expect(!expected)
            return
        }
        #expect(try TopicFilter(pattern).covers(requestFilter) == expected)
    }
}
