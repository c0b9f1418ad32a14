import TestSupport
import MQTTAuthCore
import Testing

/// The compiled trie must decide exactly as the reference evaluator, which scans every rule.
@Suite("Trie versus reference evaluator")
struct TrieVersusReferenceTests {
    /// Small alphabets, so random rules and requests overlap often and hit every branch:
    /// placeholders, `$` levels, empty levels, prefixes of prefixes, bad placeholder values.
    private static let users: [String?] = [nil, "alice", "bob", "agent-1", "agent-12", "a", "", "a/b", "+", "#", "$SYS", "x"]
    private static let clientIDs: [String?] = [nil, "c1", "c2", "alice", "", "c/1", "+", "$c"]
    private static let selectors = ["%", "alice", "bob", "agent-%", "agent-1%", "a%", "a/b", "+"]
    /// Attribute values, usable or not; topics use some of them as levels.
    private static let orgValues = ["acme", "beta", "a/b", "+", "", "$x", "alice", "#"]
    private static let roleValues = ["admin", "dev", "acme", "+", "#", ""]
    private static let conditionChoices = [
        AttributeCondition(name: "org", value: "acme"), AttributeCondition(name: "org", value: "beta"),
        AttributeCondition(name: "roles", value: "admin"), AttributeCondition(name: "roles", value: "dev"),
        AttributeCondition(name: "roles", value: "+"),
    ]

    /// The level values rules and requests are made of.
    struct Alphabet: Sendable, CustomTestStringConvertible {
        let name: String
        let ruleLevels: [String]
        let topicLevels: [String]
        var testDescription: String { name }
    }

    /// Few literals: paths overlap often, and every node keeps its edges inline.
    static let narrow = Alphabet(
        name: "narrow",
        ruleLevels: ["a", "b", "alice", "$SYS", "", "+", "+", "%u", "%c", "c1", "%{org}", "%{roles}", "%{org}"],
        topicLevels: ["a", "b", "alice", "agent-1", "$SYS", "", "c1", "a/b", "acme", "admin", "dev", "$x"]
    )

    /// Enough literals that nodes outgrow their inline edges into the hash table, and levels
    /// over 16 bytes that share their first 16 bytes, which only the key arena tells apart.
    static let wide: Alphabet = {
        let long = (0..<3).map { "a-level-name-over-16-bytes-\($0)" }
        let literals = ["a", "b", "alice", "$SYS", "", "c1"] + (0..<10).map { "l\($0)" } + long.prefix(2)
        return Alphabet(
            name: "wide",
            ruleLevels: literals + ["+", "+", "+", "%u", "%u", "%c", "%{org}", "%{roles}"],
            topicLevels: literals + ["agent-1", "a/b", long[2], "acme", "beta", "admin"]
        )
    }()

    private static func pick<T>(_ options: [T], _ random: inout SeededGenerator) -> T {
        options[Int.random(in: 0..<options.count, using: &random)]
    }

    private static func randomRule(_ alphabet: Alphabet, _ random: inout SeededGenerator) throws -> ACLRule {
        var levels = (0..<Int.random(in: 0...3, using: &random)).map { _ in pick(alphabet.ruleLevels, &random) }
        if Int.random(in: 0..<3, using: &random) == 0 || levels.isEmpty || levels == [""] { levels.append("#") }
        let selector: UserSelector = switch Int.random(in: 0..<10, using: &random) {
        case 0: .anonymous
        case 1: .everyone
        default: try UserSelector(parsing: pick(selectors, &random))
        }
        let conditions: [AttributeCondition] = switch Int.random(in: 0..<8, using: &random) {
        case 0, 1: [pick(conditionChoices, &random)]
        case 2: [pick(conditionChoices, &random), pick(conditionChoices, &random)]
        default: []
        }
        return ACLRule(
            selector: selector,
            pattern: try TopicPattern(parsing: levels.joined(separator: "/")),
            permission: pick([.publish, .subscribe, .pubsub, .deny, .pubsub, .subscribe], &random),
            conditions: conditions,
            source: SourceLocation(file: "random", line: nil)
        )
    }

    /// No attributes, one, or both; `org` a scalar or an array, `roles` an array of 0–3 values.
    private static func randomAttributes(_ random: inout SeededGenerator) -> UserAttributes {
        var values: [String: [String]] = [:]
        if Int.random(in: 0..<3, using: &random) > 0 {
            values["org"] = (0..<Int.random(in: 0...2, using: &random)).map { _ in pick(orgValues, &random) }
        }
        if Int.random(in: 0..<3, using: &random) > 0 {
            values["roles"] = (0..<Int.random(in: 0...3, using: &random)).map { _ in pick(roleValues, &random) }
        }
        return UserAttributes(values)
    }

    private static func randomTopic(_ alphabet: Alphabet, _ access: Access, _ random: inout SeededGenerator) -> String {
        var levels = (0..<Int.random(in: 1...4, using: &random)).map { _ in pick(alphabet.topicLevels, &random) }
        if access == .subscribe {
            for index in levels.indices where Int.random(in: 0..<3, using: &random) == 0 { levels[index] = "+" }
            if Int.random(in: 0..<3, using: &random) == 0 { levels.append("#") }
            if Int.random(in: 0..<10, using: &random) == 0 { levels.insert(contentsOf: ["$share", "g"], at: 0) }
        } else if Int.random(in: 0..<30, using: &random) == 0 {
            levels.append("+")  // invalid for a topic name: both must deny
        }
        return levels.joined(separator: "/")
    }

    @Test(arguments: [narrow, wide], 0..<8)
    func randomPoliciesAgree(_ alphabet: Alphabet, _ shard: UInt64) throws {
        var random = SeededGenerator(seed: 0xAC10 &+ shard &+ (alphabet.name == "wide" ? 100 : 0))
        let ruleCount = alphabet.name == "wide" ? 1...80 : 1...30
        var compared = 0
        var allowed = 0
        var attributeDecided = 0
        var disagreements: [String] = []
        var previous: CompiledACL?
        for _ in 0..<60 {
            let rules = try (0..<Int.random(in: ruleCount, using: &random)).map { _ in try Self.randomRule(alphabet, &random) }
            let superusers = Int.random(in: 0..<5, using: &random) == 0 ? ["bob"] : []
            let acl = CompiledACL(superusers: superusers, rules: rules)
            defer { previous = acl }
            let reference = ReferenceACL(superusers: superusers, rules: rules)
            for _ in 0..<300 {
                let access = Self.pick([Access.publish, .read, .subscribe, .subscribe, .unsubscribe], &random)
                let user = Self.pick(Self.users, &random)
                let clientID = Self.pick(Self.clientIDs, &random)
                let topic = Self.randomTopic(alphabet, access, &random)
                let attributes = Self.randomAttributes(&random)
                let expected = reference.isAllowed(user: user, clientID: clientID, topic: topic, access: access, attributes: attributes)
                let decision = acl.decide(user: user, clientID: clientID, topic: topic, access: access, attributes: attributes)
                let fast = acl.isAllowed(user: user, clientID: clientID, topic: topic, access: access, attributes: attributes)
                // Resolved ahead, as the plugin does per connection, and resolved against the
                // previous policy, as a connection's attributes are just after a reload.
                let resolved = acl.isAllowed(user: user, clientID: clientID, topic: topic, access: access,
                                             attributes: acl.resolve(attributes))
                let stale = acl.isAllowed(user: user, clientID: clientID, topic: topic, access: access,
                                          attributes: (previous ?? acl).resolve(attributes))
                compared += 1
                if expected { allowed += 1 }
                if case .rules(let deciding) = decision.reason,
                   deciding.contains(where: { !$0.conditions.isEmpty || !$0.pattern.attributeNames.isEmpty }) {
                    attributeDecided += 1
                }
                if decision.isAllowed != expected || fast != expected || resolved != expected || stale != expected,
                   disagreements.count < 10 {
                    let policy = rules.map(\.description).joined(separator: "; ")
                    disagreements.append("\(access) user=\(user ?? "nil") client=\(clientID ?? "nil") attributes=\(attributes.values) topic=\(topic): reference \(expected), trie \(decision.isAllowed)/\(fast)/\(resolved)/\(stale) — \(policy)")
                }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.joined(separator: "\n"))")
        #expect(compared == 18_000)
        // The generator must produce both outcomes in quantity, or the comparison proves little.
        #expect(allowed > compared / 20 && allowed < compared * 19 / 20, "allowed \(allowed) of \(compared)")
        // Attribute rules must decide often enough for the comparison to cover them.
        #expect(attributeDecided > compared / 50, "attribute rules decided \(attributeDecided) of \(compared)")
    }

    /// Filters for strict subscribes: the ordinary random ones, and now and then one that
    /// starts with a wildcard or names a `$` level, where the overlap rules for `$` decide.
    private static func strictFilter(_ alphabet: Alphabet, _ random: inout SeededGenerator) -> String {
        if Int.random(in: 0..<8, using: &random) == 0 {
            return pick(["#", "+", "+/#", "+/+", "$SYS/#", "$SYS/+", "$x/#", "$share/g/#", "+/b/#"], &random)
        }
        return randomTopic(alphabet, .subscribe, &random)
    }

    /// Strict subscribes (docs/architecture.md §3.12) must agree with the reference, which
    /// scans every deny rule and looks for a common topic by building one, on random policies
    /// with placeholders, unusable values, attributes, `when:` sets, `$` levels and wildcards.
    /// Each refusal must name exactly the deny rules that overlap on their own.
    @Test(arguments: [narrow, wide], 0..<4)
    func strictSubscribesAgree(_ alphabet: Alphabet, _ shard: UInt64) throws {
        var random = SeededGenerator(seed: 0x5751 &+ shard &+ (alphabet.name == "wide" ? 100 : 0))
        let ruleCount = alphabet.name == "wide" ? 1...80 : 1...30
        var compared = 0
        var allowed = 0
        var refusedForOverlap = 0
        var disagreements: [String] = []
        var previous: CompiledACL?
        for _ in 0..<60 {
            var rules = try (0..<Int.random(in: ruleCount, using: &random)).map { _ in try Self.randomRule(alphabet, &random) }
            // Half the policies grant every subscription, so that many reach the strict step.
            if Bool.random(using: &random) {
                rules.append(ACLRule(selector: .everyone, pattern: try TopicPattern(parsing: "#"), permission: .subscribe,
                                     source: SourceLocation(file: "random", line: nil)))
            }
            let superusers = Int.random(in: 0..<5, using: &random) == 0 ? ["bob"] : []
            let acl = CompiledACL(superusers: superusers, rules: rules)
            defer { previous = acl }
            let reference = ReferenceACL(superusers: superusers, rules: rules)
            for _ in 0..<200 {
                let user = Self.pick(Self.users, &random)
                let clientID = Self.pick(Self.clientIDs, &random)
                let filter = Self.strictFilter(alphabet, &random)
                let attributes = Self.randomAttributes(&random)
                let expected = reference.isAllowed(user: user, clientID: clientID, topic: filter, access: .subscribe,
                                                   attributes: attributes, strictSubscribe: true)
                let decision = acl.decide(user: user, clientID: clientID, topic: filter, access: .subscribe,
                                          attributes: attributes, strictSubscribe: true)
                let fast = acl.isAllowed(user: user, clientID: clientID, topic: filter, access: .subscribe,
                                         attributes: attributes, strictSubscribe: true)
                let resolved = acl.isAllowed(user: user, clientID: clientID, topic: filter, access: .subscribe,
                                             attributes: acl.resolve(attributes), strictSubscribe: true)
                let stale = acl.decide(user: user, clientID: clientID, topic: filter, access: .subscribe,
                                       attributes: (previous ?? acl).resolve(attributes), strictSubscribe: true)
                compared += 1
                if expected { allowed += 1 }
                var explained = true
                if case .overlapsDeny(let named) = decision.reason {
                    refusedForOverlap += 1
                    // The rules that overlap on their own, by the reference, in source order.
                    let parsed = try TopicFilter(filter, subscription: true)
                    let alone = rules.filter {
                        $0.permission == .deny && ReferenceACL(superusers: [], rules: [$0])
                            .overlapsDeny(parsed, user: user, clientID: clientID, attributes: attributes)
                    }
                    explained = named == alone && stale.reason == decision.reason
                }
                if decision.isAllowed != expected || fast != expected || resolved != expected || stale.isAllowed != expected || !explained,
                   disagreements.count < 10 {
                    let policy = rules.map(\.description).joined(separator: "; ")
                    disagreements.append("strict subscribe user=\(user ?? "nil") client=\(clientID ?? "nil") attributes=\(attributes.values) filter=\(filter): reference \(expected), trie \(decision.isAllowed)/\(fast)/\(resolved)/\(stale.isAllowed), \(decision) — \(policy)")
                }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.joined(separator: "\n"))")
        #expect(compared == 12_000)
        #expect(allowed > compared / 20 && allowed < compared * 19 / 20, "allowed \(allowed) of \(compared)")
        // Strictness itself must decide often, or the comparison says nothing about it.
        #expect(refusedForOverlap > compared / 50, "refused for an overlap \(refusedForOverlap) of \(compared)")
    }

    /// The explanation names only rules that really cover the request and agree with the verdict.
    @Test func explanationsAreConsistent() throws {
        var random = SeededGenerator(seed: 42)
        for _ in 0..<200 {
            let rules = try (0..<12).map { _ in try Self.randomRule(Self.narrow, &random) }
            let acl = CompiledACL(superusers: [], rules: rules)
            for _ in 0..<50 {
                let access = Self.pick([Access.publish, .read, .subscribe], &random)
                let user = Self.pick(Self.users, &random)
                let topic = Self.randomTopic(Self.narrow, access, &random)
                let attributes = Self.randomAttributes(&random)
                let decision = acl.decide(user: user, clientID: "c1", topic: topic, access: access, attributes: attributes)
                guard case .rules(let deciding) = decision.reason else { continue }
                #expect(!deciding.isEmpty)
                for rule in deciding {
                    #expect(rule.selector.matches(user))
                    #expect(rule.conditionsHold(for: attributes))
                    #expect(decision.isAllowed ? rule.permission.grants(access) : rule.permission == .deny)
                    let alone = ReferenceACL(superusers: [], rules: [rule])
                    let ruleAlone = alone.isAllowed(user: user, clientID: "c1", topic: topic, access: access, attributes: attributes)
                    #expect(ruleAlone == decision.isAllowed, "\(rule) alone should decide \(topic) the same way")
                }
            }
        }
    }
}

@Suite("Trie layout")
struct TrieLayoutTests {
    /// The compiled trie reads nodes and edges at fixed byte offsets; a type that grows past
    /// its cells would make those reads wrong, so the sizes are part of the contract.
    @Test func cellNodeEdgeAndSlotSizesMatchTheOffsets() {
        #expect(TrieLayout.sizesHold)
    }
}
