import MQTTAuthCore
import TestSupport
import Testing

/// Rules on user attributes (docs/architecture.md §3.6–§3.9): `%{name}` levels and `when:`,
/// decided by the trie and by the reference evaluator alike.
@Suite("Attribute rules")
struct AttributeRulesTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let rules: [(user: String, topic: String, permission: Permission, when: [String: String])]
        let user: String
        let attributes: [String: [String]]
        let topic: String
        let access: Access
        let expected: Bool
        let why: String
        var testDescription: String { why }
    }

    private static func c(
        _ rules: [(String, String, Permission, [String: String])],
        _ attributes: [String: [String]],
        _ access: Access,
        _ topic: String,
        _ expected: Bool,
        user: String = "u",
        _ why: String
    ) -> Case {
        Case(rules: rules.map { (user: $0.0, topic: $0.1, permission: $0.2, when: $0.3) },
             user: user, attributes: attributes, topic: topic, access: access, expected: expected, why: why)
    }

    static let org: [(String, String, Permission, [String: String])] = [("%", "orgs/%{org}/#", .pubsub, [:])]
    static let roles: [(String, String, Permission, [String: String])] = [("%", "r/%{roles}/#", .subscribe, [:])]
    static let denyOrg: [(String, String, Permission, [String: String])] = [
        ("%", "orgs/#", .pubsub, [:]), ("%", "orgs/%{org}/secret", .deny, [:]),
    ]
    static let subscribeOrg: [(String, String, Permission, [String: String])] = [("%", "orgs/%{org}/#", .subscribe, [:])]
    static let admin: [(String, String, Permission, [String: String])] = [("%", "orgs/#", .pubsub, ["roles": "admin"])]
    static let both: [(String, String, Permission, [String: String])] = [("%", "orgs/#", .pubsub, ["roles": "admin", "org": "acme"])]
    static let internDeny: [(String, String, Permission, [String: String])] = [
        ("%", "orgs/#", .pubsub, [:]), ("%", "orgs/secret", .deny, ["roles": "intern"]),
    ]

    static let cases: [Case] = [
        // %{name} with a string attribute
        c(org, ["org": ["acme"]], .publish, "orgs/acme/x", true, "string attribute matches its level"),
        c(org, ["org": ["acme"]], .publish, "orgs/other/x", false, "string attribute: another org"),
        c(org, ["org": ["acme"]], .read, "orgs/acme", true, "# covers its parent level"),
        // arrays
        c(roles, ["roles": ["dev", "admin"]], .read, "r/admin/x", true, "array: second element"),
        c(roles, ["roles": ["dev", "admin"]], .read, "r/dev/x", true, "array: first element"),
        c(roles, ["roles": ["dev", "admin"]], .read, "r/ops/x", false, "array: no element equal"),
        c(roles, ["roles": ["dev", "admin"]], .publish, "r/dev/x", false, "array: the permission still counts"),
        // missing, empty, unusable
        c(org, [:], .publish, "orgs/acme/x", false, "missing attribute grants nothing"),
        c(org, ["org": []], .publish, "orgs/acme/x", false, "empty array grants nothing"),
        c(org, ["other": ["acme"]], .publish, "orgs/acme/x", false, "another attribute does not stand in"),
        c(org, ["org": ["a/b"]], .publish, "orgs/a/b/x", false, "a value with / is unusable"),
        c(org, ["org": ["+"]], .publish, "orgs/x/y", false, "+ is unusable"),
        c(org, ["org": ["+"]], .subscribe, "orgs/+/y", false, "+ does not widen a subscription"),
        c(org, ["org": ["#"]], .subscribe, "orgs/#", false, "# is unusable"),
        c(org, ["org": [""]], .publish, "orgs//x", false, "an empty value is unusable"),
        c(org, ["org": ["$x"]], .publish, "orgs/$x/y", false, "a $ value is unusable"),
        c([("%", "%{org}/#", .pubsub, [:])], ["org": ["$SYS"]], .read, "$SYS/broker", false, "a $ value never reaches $SYS"),
        c(org, ["org": ["a\u{0}b"]], .publish, "orgs/a/x", false, "a NUL value is unusable"),
        c(org, ["org": ["a/b", "acme", "+"]], .publish, "orgs/acme/x", true, "mixed array: the usable value counts"),
        c(org, ["org": ["a/b", "acme", "+"]], .publish, "orgs/a/b/x", false, "mixed array: the unusable one does not"),
        // deny with %{name}
        c(denyOrg, ["org": ["acme"]], .publish, "orgs/acme/secret", false, "deny through a value wins"),
        c(denyOrg, ["org": ["acme"]], .publish, "orgs/other/secret", true, "deny through a value is that value only"),
        c(denyOrg, ["org": ["acme", "beta"]], .publish, "orgs/beta/secret", false, "deny through any array value"),
        c(denyOrg, [:], .publish, "orgs/other/secret", false, "missing: the deny reads as +"),
        c(denyOrg, ["org": ["a/b"]], .publish, "orgs/x/secret", false, "unusable: the deny reads as +"),
        c(denyOrg, ["org": ["a/b", "acme"]], .publish, "orgs/x/secret", true, "one usable value: no + reading"),
        c(denyOrg, [:], .publish, "orgs/other/open", true, "the + reading covers its level only"),
        c(denyOrg, [:], .subscribe, "orgs/+/secret", false, "subscribe + is covered by the + reading"),
        c(denyOrg, ["org": ["acme"]], .subscribe, "orgs/+/secret", true, "a value does not cover +; the read check filters"),
        c(denyOrg, ["org": ["acme"]], .subscribe, "orgs/acme/secret", false, "subscribe to the denied topic"),
        // subscribe against %{name}
        c(subscribeOrg, ["org": ["acme"]], .subscribe, "orgs/acme/#", true, "# below the value"),
        c(subscribeOrg, ["org": ["acme"]], .subscribe, "orgs/acme/+", true, "+ below the value"),
        c(subscribeOrg, ["org": ["acme"]], .subscribe, "orgs/+/x", false, "a value does not cover +"),
        c(subscribeOrg, ["org": ["acme"]], .subscribe, "orgs/#", false, "a value does not cover #"),
        c(subscribeOrg, ["org": ["acme"]], .subscribe, "$share/g/orgs/acme/x", true, "shared subscription"),
        // when
        c(admin, ["roles": ["admin"]], .publish, "orgs/x", true, "when holds"),
        c(admin, ["roles": ["dev", "admin"]], .publish, "orgs/x", true, "when holds for an array element"),
        c(admin, ["roles": ["dev"]], .publish, "orgs/x", false, "when does not hold"),
        c(admin, ["roles": ["Admin"]], .publish, "orgs/x", false, "when compares exactly"),
        c(admin, [:], .publish, "orgs/x", false, "when without the attribute"),
        c(admin, ["role": ["admin"]], .publish, "orgs/x", false, "when on another name"),
        c(both, ["roles": ["admin"], "org": ["acme"]], .publish, "orgs/x", true, "every condition holds"),
        c(both, ["roles": ["admin"], "org": ["beta"]], .publish, "orgs/x", false, "one condition fails"),
        c(both, ["roles": ["admin", "dev"], "org": ["beta", "acme"]], .publish, "orgs/x", true, "conditions over arrays"),
        c(both, ["org": ["acme"]], .publish, "orgs/x", false, "the first condition alone is not enough"),
        c(internDeny, ["roles": ["intern"]], .publish, "orgs/secret", false, "a when deny wins when it holds"),
        c(internDeny, ["roles": ["dev"]], .publish, "orgs/secret", true, "a when deny is ignored otherwise"),
        c(internDeny, [:], .subscribe, "orgs/#", true, "a when deny without the attribute"),
        c([("%", "orgs/%{org}/#", .pubsub, ["roles": "admin"])], ["org": ["acme"], "roles": ["admin"]], .publish, "orgs/acme/x", true, "when and %{}"),
        c([("%", "orgs/%{org}/#", .pubsub, ["roles": "admin"])], ["org": ["acme"], "roles": ["dev"]], .publish, "orgs/acme/x", false, "when fails, %{} matches"),
        c([("%", "orgs/#", .pubsub, [:]), ("%", "orgs/%{org}/x", .deny, ["roles": "intern"])], ["roles": ["intern"]], .publish, "orgs/any/x", false, "when deny with a missing %{}: +"),
        c([("%", "orgs/#", .pubsub, [:]), ("%", "orgs/%{org}/x", .deny, ["roles": "intern"])], ["roles": ["dev"]], .publish, "orgs/any/x", true, "when deny that does not hold"),
        // selectors with when
        c([("alice", "a/#", .pubsub, ["roles": "admin"])], ["roles": ["admin"]], .publish, "a/x", true, user: "alice", "exact user with when"),
        c([("alice", "a/#", .pubsub, ["roles": "admin"])], ["roles": ["admin"]], .publish, "a/x", false, user: "bob", "another user with when"),
        c([("agent-%", "a/#", .pubsub, ["roles": "admin"])], ["roles": ["admin"]], .publish, "a/x", true, user: "agent-7", "prefix with when"),
        c([("agent-%", "a/#", .pubsub, ["roles": "admin"])], ["roles": ["dev"]], .publish, "a/x", false, user: "agent-7", "prefix, when fails"),
        // attributes do not reach unsubscribe or superusers differently
        c([("%", "#", .deny, ["roles": "intern"])], ["roles": ["intern"]], .unsubscribe, "x", true, "unsubscribe is always allowed"),
    ]

    @Test(arguments: cases)
    func trieAndReferenceDecide(_ test: Case) throws {
        let rules = try test.rules.enumerated().map { index, spec in
            ACLRule(
                selector: try UserSelector(parsing: spec.user),
                pattern: try TopicPattern(parsing: spec.topic),
                permission: spec.permission,
                conditions: spec.when.map { AttributeCondition(name: $0.key, value: $0.value) },
                source: SourceLocation(file: "test", line: index + 1)
            )
        }
        let attributes = UserAttributes(test.attributes)
        let acl = CompiledACL(superusers: [], rules: rules)
        let reference = ReferenceACL(superusers: [], rules: rules)
        let decision = acl.decide(user: test.user, clientID: "c1", topic: test.topic, access: test.access, attributes: attributes)
        #expect(decision.isAllowed == test.expected, "trie: \(decision)")
        #expect(acl.isAllowed(user: test.user, clientID: "c1", topic: test.topic, access: test.access, attributes: attributes) == test.expected)
        #expect(reference.isAllowed(user: test.user, clientID: "c1", topic: test.topic, access: test.access, attributes: attributes) == test.expected)
    }

    @Test func callersWithoutAttributesSeeNoAttributeRuleApply() throws {
        let rules = [
            ACLRule(selector: .anyUser, pattern: try TopicPattern(parsing: "orgs/#"), permission: .pubsub,
                    conditions: [AttributeCondition(name: "roles", value: "admin")], source: SourceLocation(file: "t", line: 1)),
            try rule("%", "orgs/%{org}/#", .pubsub, line: 2),
            try rule("%", "users/%u/#", .pubsub, line: 3),
        ]
        let acl = CompiledACL(superusers: [], rules: rules)
        #expect(!acl.isAllowed(user: "u", clientID: nil, topic: "orgs/x/y", access: .publish))
        #expect(acl.isAllowed(user: "u", clientID: nil, topic: "users/u/y", access: .publish))
        #expect(acl.decide(user: "u", clientID: nil, topic: "orgs/x/y", access: .publish).reason == .noRuleMatched)
    }

    @Test func resolvedAttributesBelongToOnePolicyAndAreResolvedAgainForAnother() throws {
        let rules = [
            try rule("%", "orgs/%{org}/#", .pubsub, line: 1),
            ACLRule(selector: .anyUser, pattern: try TopicPattern(parsing: "admin/#"), permission: .pubsub,
                    conditions: [AttributeCondition(name: "roles", value: "admin")], source: SourceLocation(file: "t", line: 2)),
        ]
        let first = CompiledACL(superusers: [], rules: rules)
        let second = CompiledACL(superusers: [], rules: rules)
        let attributes = UserAttributes(["org": ["a/b", "acme"], "roles": ["admin"]])
        let resolved = first.resolve(attributes)
        #expect(resolved.isResolved(for: first))
        #expect(!resolved.isResolved(for: second))
        #expect(ResolvedAttributes.none.isResolved(for: second))
        #expect(!ResolvedAttributes(unresolved: attributes).isResolved(for: first))
        #expect(resolved.attributes == attributes)
        for acl in [first, second] {
            for given in [resolved, ResolvedAttributes(unresolved: attributes)] {
                // "a/b" cannot stand for a level; "acme" can, and the `when:` set holds.
                #expect(acl.isAllowed(user: "u", clientID: nil, topic: "orgs/acme/x", access: .publish, attributes: given))
                #expect(!acl.isAllowed(user: "u", clientID: nil, topic: "orgs/a/x", access: .publish, attributes: given))
                #expect(acl.isAllowed(user: "u", clientID: nil, topic: "admin/x", access: .publish, attributes: given))
                #expect(acl.decide(user: "u", clientID: nil, topic: "admin/x", access: .publish, attributes: given).isAllowed)
            }
        }
        #expect(!first.isAllowed(user: "u", clientID: nil, topic: "admin/x", access: .publish, attributes: ResolvedAttributes.none))
    }

    @Test func superusersAreAllowedWhateverTheirAttributes() throws {
        let acl = CompiledACL(superusers: ["ops"], rules: [
            ACLRule(selector: .anyUser, pattern: try TopicPattern(parsing: "#"), permission: .deny,
                    conditions: [AttributeCondition(name: "roles", value: "x")], source: SourceLocation(file: "t", line: 1)),
        ])
        #expect(acl.isAllowed(user: "ops", clientID: nil, topic: "a", access: .publish, attributes: UserAttributes(["roles": ["x"]])))
        #expect(!acl.isAllowed(user: "u", clientID: nil, topic: "a", access: .publish, attributes: UserAttributes(["roles": ["x"]])))
    }

    @Test func explanationsShowTheConditions() throws {
        let rules = [
            ACLRule(selector: .anyUser, pattern: try TopicPattern(parsing: "orgs/%{org}/#"), permission: .pubsub,
                    conditions: [AttributeCondition(name: "roles", value: "admin")], source: SourceLocation(file: "c.yml", line: 4)),
            ACLRule(selector: .anyUser, pattern: try TopicPattern(parsing: "orgs/%{org}/secret"), permission: .deny,
                    conditions: [AttributeCondition(name: "roles", value: "intern"), AttributeCondition(name: "org", value: "acme")],
                    source: SourceLocation(file: "c.yml", line: 5)),
        ]
        #expect(rules[0].description == "user % topic orgs/%{org}/# pubsub when roles=admin")
        #expect(rules[1].description == "user % topic orgs/%{org}/secret deny when org=acme, roles=intern")
        let acl = CompiledACL(superusers: [], rules: rules)
        let admin = UserAttributes(["org": ["acme"], "roles": ["admin"]])
        let allowed = acl.decide(user: "u", clientID: nil, topic: "orgs/acme/x", access: .publish, attributes: admin)
        #expect(allowed.reason == .rules([rules[0]]))
        #expect(allowed.description == "allow rule 'user % topic orgs/%{org}/# pubsub when roles=admin' at c.yml:4")
        let both = UserAttributes(["org": ["acme"], "roles": ["admin", "intern"]])
        let denied = acl.decide(user: "u", clientID: nil, topic: "orgs/acme/secret", access: .publish, attributes: both)
        #expect(denied == Decision(isAllowed: false, reason: .rules([rules[1]])))
    }

    @Test(arguments: ["orgs/x%{org}", "orgs/%{org}x", "orgs/%{Org}", "orgs/%{1a}", "orgs/%{}", "orgs/%{org", "orgs/%{o-g}", "%{a}%{b}"])
    func attributePlaceholdersMustBeWholeLevelsWithGoodNames(_ topic: String) {
        #expect(throws: RuleError.self) { try TopicPattern(parsing: topic) }
    }

    @Test func attributePlaceholdersParse() throws {
        let pattern = try TopicPattern(parsing: "orgs/%{org_id}/%{_x9}/#")
        #expect(pattern.levels == [.literal("orgs"), .attribute("org_id"), .attribute("_x9"), .hash])
        #expect(pattern.attributeNames == ["org_id", "_x9"])
        #expect(throws: RuleError("topic 'a/%{org}': attribute placeholders are for acl.rules only")) {
            try TopicPattern(parsing: "a/%{org}", attributes: false)
        }
    }
}
