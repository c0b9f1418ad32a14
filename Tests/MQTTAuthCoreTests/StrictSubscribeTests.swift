import MQTTAuthCore
import TestSupport
import Testing

/// Strict subscribes (docs/architecture.md §3.12), for brokers that check a subscription but
/// not each message delivered through it: allowed only when an allow rule covers the filter
/// and no deny rule that applies to the user overlaps it.
@Suite("Strict subscribe")
struct StrictSubscribeTests {
    /// `users/%u/#` pubsub on line 1, `users/%u/secret/#` deny on line 2.
    static let ownTopics = [("%", "users/%u/#", Permission.pubsub), ("%", "users/%u/secret/#", .deny)]

    struct Case: Sendable, CustomTestStringConvertible {
        let filter: String
        let normally: Bool
        let strictly: Bool
        let why: String
        var testDescription: String { "\(filter): \(why)" }
    }

    static let cases: [Case] = [
        Case(filter: "users/alice/#", normally: true, strictly: false,
             why: "covered, and users/alice/secret/x is under both"),
        Case(filter: "users/alice/public/#", normally: true, strictly: true,
             why: "covered, and no topic is under both"),
        Case(filter: "users/alice/+/x", normally: true, strictly: false,
             why: "covered, and users/alice/secret/x matches both"),
        Case(filter: "users/+/x", normally: false, strictly: false,
             why: "not covered: users/%u/# does not cover another user's level"),
        Case(filter: "users/alice/secret", normally: false, strictly: false,
             why: "covered by the deny itself (`#` matches its parent)"),
        Case(filter: "users/alice", normally: true, strictly: true,
             why: "the deny's topics all lie below users/alice/secret"),
        Case(filter: "$share/g/users/alice/#", normally: true, strictly: false,
             why: "a shared subscription is checked as its filter"),
        Case(filter: "$share/g/users/alice/public/#", normally: true, strictly: true,
             why: "a shared subscription that overlaps nothing"),
    ]

    @Test(arguments: cases)
    func ownTopicsAsAlice(_ c: Case) throws {
        let acl = try compile(Self.ownTopics)
        let normal = acl.decide(user: "alice", clientID: "c1", topic: c.filter, access: .subscribe)
        let strict = acl.decide(user: "alice", clientID: "c1", topic: c.filter, access: .subscribe, strictSubscribe: true)
        #expect(normal.isAllowed == c.normally)
        #expect(strict.isAllowed == c.strictly)
        #expect(acl.isAllowed(user: "alice", clientID: "c1", topic: c.filter, access: .subscribe, strictSubscribe: true) == c.strictly)
        #expect(acl.isAllowed(user: "alice", clientID: "c1", topic: c.filter, access: .subscribe,
                              attributes: acl.resolve(.none), strictSubscribe: true) == c.strictly)
        let reference = ReferenceACL(superusers: [], rules: acl.rules)
        #expect(reference.isAllowed(user: "alice", clientID: "c1", topic: c.filter, access: .subscribe) == c.normally)
        #expect(reference.isAllowed(user: "alice", clientID: "c1", topic: c.filter, access: .subscribe, strictSubscribe: true) == c.strictly)
        if c.normally, !c.strictly {
            #expect(strict.reason == .overlapsDeny([acl.rules[1]]))
        } else {
            #expect(strict == normal, "where strictness changes nothing, the explanation stays the same")
        }
    }

    /// Publish and read are decided exactly as before, flag or not.
    @Test(arguments: ["users/alice/x", "users/alice/secret/x", "users/bob/x", "users/alice/secret", "a/+"], [Access.publish, .read])
    func otherAccessesIgnoreTheFlag(_ topic: String, _ access: Access) throws {
        let acl = try compile(Self.ownTopics)
        let normal = acl.decide(user: "alice", clientID: "c1", topic: topic, access: access)
        #expect(acl.decide(user: "alice", clientID: "c1", topic: topic, access: access, strictSubscribe: true) == normal)
        #expect(acl.isAllowed(user: "alice", clientID: "c1", topic: topic, access: access, strictSubscribe: true) == normal.isAllowed)
    }

    @Test func unsubscribeStaysAllowed() throws {
        let acl = try compile(Self.ownTopics)
        let decision = acl.decide(user: "alice", clientID: nil, topic: "users/alice/#", access: .unsubscribe, strictSubscribe: true)
        #expect(decision == Decision(isAllowed: true, reason: .unsubscribe))
    }

    @Test func refusalNamesTheOverlappingDenyRules() throws {
        let acl = try compile([
            ("%", "a/#", .subscribe),
            ("%", "a/secret", .deny),
            ("%", "b/#", .deny),
            ("alice", "a/+/private", .deny),
        ])
        let decision = acl.decide(user: "alice", clientID: nil, topic: "a/#", access: .subscribe, strictSubscribe: true)
        #expect(decision == Decision(isAllowed: false, reason: .overlapsDeny([acl.rules[1], acl.rules[3]])))
        #expect(decision.description == "deny strict subscribe: the filter overlaps rule 'user % topic a/secret deny' at test:2; "
            + "rule 'user alice topic a/+/private deny' at test:4")
        let bob = acl.decide(user: "bob", clientID: nil, topic: "a/#", access: .subscribe, strictSubscribe: true)
        #expect(bob.reason == .overlapsDeny([acl.rules[1]]), "alice's own deny does not apply to bob")
        #expect(acl.allows("bob", "a/x/#", .subscribe))
        #expect(acl.decide(user: "bob", clientID: nil, topic: "a/x/#", access: .subscribe, strictSubscribe: true).isAllowed)
        #expect(!acl.decide(user: "alice", clientID: nil, topic: "a/x/#", access: .subscribe, strictSubscribe: true).isAllowed)
    }

    @Test func dollarTopics() throws {
        let acl = try compile([
            ("%", "#", .subscribe),
            ("%", "$SYS/#", .subscribe),
            ("%", "$SYS/secret", .deny),
            ("%", "+/hidden", .deny),
        ], superusers: ["ops"])
        func strict(_ user: String, _ filter: String) -> Bool {
            acl.isAllowed(user: user, clientID: nil, topic: filter, access: .subscribe, strictSubscribe: true)
        }
        #expect(!strict("u", "#"), "# overlaps +/hidden")
        #expect(!strict("u", "$SYS/#"), "$SYS/# overlaps $SYS/secret")
        #expect(!strict("u", "$SYS/+"))
        #expect(strict("u", "$SYS/load/#"))
        #expect(strict("u", "$SYS/hidden"), "a leading + does not reach $SYS")
        #expect(!strict("u", "x/+"), "x/hidden matches both")
        #expect(strict("u", "x/y/#"))
        #expect(!strict("u", "+/+"), "+/+ overlaps +/hidden")
        #expect(strict("ops", "#"), "superusers stay allowed")
        #expect(acl.decide(user: "ops", clientID: nil, topic: "#", access: .subscribe, strictSubscribe: true).reason == .superuser)
    }

    /// A placeholder without a usable value reads as `+` in a deny rule: fail closed.
    @Test func unsubstitutablePlaceholdersFailClosed() throws {
        let acl = try compile([
            ("%", "users/#", .subscribe),
            ("%", "users/%u/secret", .deny),
            ("%", "devices/#", .subscribe),
            ("%", "devices/%c/keys", .deny),
        ])
        func strict(_ user: String, _ clientID: String?, _ filter: String) -> Bool {
            acl.isAllowed(user: user, clientID: clientID, topic: filter, access: .subscribe, strictSubscribe: true)
        }
        #expect(strict("carol", "c1", "users/bob/#"), "carol's deny is users/carol/secret")
        #expect(!strict("carol", "c1", "users/carol/#"))
        for bad in ["a+b", "a/b", "#", "$x", ""] {
            #expect(!strict(bad, "c1", "users/bob/#"), "username '\(bad)' reads as users/+/secret")
            #expect(strict(bad, "c1", "users/bob/public"), "users/+/secret still does not overlap users/bob/public")
        }
        #expect(strict("u", "c1", "devices/c2/#"))
        #expect(!strict("u", "c1", "devices/c1/#"))
        #expect(!strict("u", nil, "devices/c2/#"), "no client id reads as devices/+/keys")
        #expect(!strict("u", "c/1", "devices/c2/#"))
    }

    @Test func attributesAndConditions() throws {
        let rules = [
            ACLRule(selector: .anyUser, pattern: try TopicPattern(parsing: "orgs/#"), permission: .subscribe,
                    source: SourceLocation(file: "test", line: 1)),
            ACLRule(selector: .anyUser, pattern: try TopicPattern(parsing: "orgs/%{org}/secret/#"), permission: .deny,
                    source: SourceLocation(file: "test", line: 2)),
            ACLRule(selector: .anyUser, pattern: try TopicPattern(parsing: "orgs/public/drafts"), permission: .deny,
                    conditions: [AttributeCondition(name: "roles", value: "guest")], source: SourceLocation(file: "test", line: 3)),
        ]
        let acl = CompiledACL(superusers: [], rules: rules)
        let reference = ReferenceACL(superusers: [], rules: rules)
        func strict(_ filter: String, _ attributes: [String: [String]]) -> Bool {
            let attributes = UserAttributes(attributes)
            let verdict = acl.isAllowed(user: "u", clientID: nil, topic: filter, access: .subscribe, attributes: attributes, strictSubscribe: true)
            let resolved = acl.isAllowed(user: "u", clientID: nil, topic: filter, access: .subscribe,
                                         attributes: acl.resolve(attributes), strictSubscribe: true)
            let expected = reference.isAllowed(user: "u", clientID: nil, topic: filter, access: .subscribe, attributes: attributes, strictSubscribe: true)
            #expect(verdict == expected && resolved == expected, "\(filter) with \(attributes.values)")
            return verdict
        }
        #expect(strict("orgs/gamma/#", ["org": ["acme", "beta"]]))
        #expect(!strict("orgs/beta/#", ["org": ["acme", "beta"]]), "each element of an array is tried")
        #expect(!strict("orgs/acme/+/x", ["org": ["acme", "beta"]]))
        #expect(strict("orgs/acme/public/#", ["org": ["acme"]]))
        #expect(!strict("orgs/gamma/#", [:]), "an unset attribute reads as orgs/+/secret/#")
        #expect(!strict("orgs/gamma/#", ["org": ["a/b", "+"]]), "no usable value reads as +")
        #expect(strict("orgs/gamma/public", ["org": ["a/b"]]))
        #expect(strict("orgs/public/#", ["org": ["acme"], "roles": ["admin"]]))
        #expect(!strict("orgs/public/#", ["org": ["acme"], "roles": ["guest"]]), "a when: deny applies where it holds")
        #expect(!strict("orgs/public/#", ["org": ["acme"], "roles": ["admin", "guest"]]))
    }

    /// Only deny rules whose selector matches the user count: exact, prefix, anonymous, every client.
    @Test func selectors() throws {
        let rules = [
            try rule("%", "t/#", .subscribe, line: 1),
            try rule("bob", "t/bob", .deny, line: 2),
            try rule("agent-%", "t/agents", .deny, line: 3),
            ACLRule(selector: .anonymous, pattern: try TopicPattern(parsing: "t/#"), permission: .subscribe,
                    source: SourceLocation(file: "test", line: 4)),
            ACLRule(selector: .anonymous, pattern: try TopicPattern(parsing: "t/anonymous"), permission: .deny,
                    source: SourceLocation(file: "test", line: 5)),
            ACLRule(selector: .everyone, pattern: try TopicPattern(parsing: "t/%c"), permission: .deny,
                    source: SourceLocation(file: "test", line: 6)),
        ]
        let acl = CompiledACL(superusers: [], rules: rules)
        func overlapping(_ user: String?) -> [Int] {
            let decision = acl.decide(user: user, clientID: "c1", topic: "t/#", access: .subscribe, strictSubscribe: true)
            guard case .overlapsDeny(let found) = decision.reason else { return [] }
            return found.map { $0.source.line ?? 0 }
        }
        #expect(overlapping("alice") == [6])
        #expect(overlapping("bob") == [2, 6])
        #expect(overlapping("agent-7") == [3, 6])
        #expect(overlapping(nil) == [5, 6])
        #expect(acl.decide(user: "alice", clientID: "c1", topic: "t/x/#", access: .subscribe, strictSubscribe: true).isAllowed)
    }

    @Test func policiesWithoutDenyRulesAreUnchanged() throws {
        let acl = try compile([("%", "users/%u/#", .pubsub)])
        let normal = acl.decide(user: "alice", clientID: nil, topic: "users/alice/#", access: .subscribe)
        #expect(normal.isAllowed)
        #expect(acl.decide(user: "alice", clientID: nil, topic: "users/alice/#", access: .subscribe, strictSubscribe: true) == normal)
    }
}
