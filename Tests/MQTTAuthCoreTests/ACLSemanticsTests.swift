import MQTTAuthCore
import Testing

@Suite("ACL semantics (docs/architecture.md §3)")
struct ACLSemanticsTests {
    @Test func userSelectors() throws {
        let acl = try compile([
            ("%", "everyone/#", .pubsub),
            ("alice", "alice-only/#", .pubsub),
            ("agent-%", "agents/#", .pubsub),
        ])
        #expect(acl.allows("bob", "everyone/x", .publish))
        #expect(!acl.allows(nil, "everyone/x", .publish), "% means authenticated users only")
        #expect(acl.allows("alice", "alice-only/x", .publish))
        #expect(!acl.allows("alice2", "alice-only/x", .publish))
        #expect(!acl.allows("bob", "alice-only/x", .publish))
        #expect(acl.allows("agent-7", "agents/x", .publish))
        #expect(acl.allows("agent-", "agents/x", .publish), "a prefix matches itself")
        #expect(!acl.allows("agent", "agents/x", .publish))
        #expect(!acl.allows("xagent-7", "agents/x", .publish))
    }

    @Test(arguments: ["", "a%b", "%a", "a%%", "%%"])
    func badSelectors(_ text: String) {
        #expect(throws: RuleError.self) { try UserSelector(parsing: text) }
    }

    @Test func nestedPrefixesAllApply() throws {
        let acl = try compile([
            ("a%", "t/#", .publish),
            ("ab%", "t/#", .subscribe),
            ("abc%", "t/secret", .deny),
        ])
        #expect(acl.allows("abcd", "t/x", .publish))
        #expect(acl.allows("abcd", "t/x", .subscribe))
        #expect(!acl.allows("abcd", "t/secret", .publish))
        #expect(acl.allows("abd", "t/secret", .publish))
        #expect(!acl.allows("ax", "t/x", .subscribe))
    }

    @Test func permissionsAndAliases() throws {
        let acl = try compile([
            ("%", "pub", .publish), ("%", "sub", .subscribe), ("%", "both", .pubsub),
        ])
        #expect(acl.allows("u", "pub", .publish))
        #expect(!acl.allows("u", "pub", .subscribe))
        #expect(!acl.allows("u", "pub", .read))
        #expect(!acl.allows("u", "sub", .publish))
        #expect(acl.allows("u", "sub", .subscribe))
        #expect(acl.allows("u", "sub", .read))
        for access in [Access.publish, .subscribe, .read] {
            #expect(acl.allows("u", "both", access))
        }
        #expect(Permission(name: "write") == .publish)
        #expect(Permission(name: "read") == .subscribe)
        #expect(Permission(name: "readwrite") == .pubsub)
        #expect(Permission(name: "allow") == nil)
    }

    @Test func unsubscribeIsAlwaysAllowed() throws {
        let acl = try compile([("%", "x", .deny)])
        #expect(acl.allows("u", "anything/#", .unsubscribe))
        #expect(acl.allows(nil, "x", .unsubscribe))
    }

    @Test func denyWinsWhateverTheOrder() throws {
        for rules in [
            [("%", "users/%u/#", Permission.pubsub), ("%", "users/%u/secret", .deny)],
            [("%", "users/%u/secret", Permission.deny), ("%", "users/%u/#", .pubsub)],
        ] {
            let acl = try compile(rules)
            #expect(!acl.allows("alice", "users/alice/secret", .publish))
            #expect(acl.allows("alice", "users/alice/open", .publish))
        }
    }

    @Test func defaultDenyIsExplained() throws {
        let acl = try compile([("%", "a", .publish)])
        let decision = acl.decide(user: "u", clientID: nil, topic: "b", access: .publish)
        #expect(decision == Decision(isAllowed: false, reason: .noRuleMatched))
        #expect(decision.description == "deny no rule matched (default deny)")
    }

    @Test func decisionsNameTheRulesThatDecided() throws {
        let acl = try compile([
            ("%", "users/%u/#", .pubsub),
            ("%", "users/#", .subscribe),
            ("alice", "users/alice/secret", .deny),
        ])
        let allowed = acl.decide(user: "alice", clientID: nil, topic: "users/alice/x", access: .read)
        #expect(allowed.isAllowed)
        #expect(allowed.reason == .rules([acl.rules[0], acl.rules[1]]))
        let denied = acl.decide(user: "alice", clientID: nil, topic: "users/alice/secret", access: .read)
        #expect(!denied.isAllowed)
        #expect(denied.reason == .rules([acl.rules[2]]))
        #expect(denied.description == "deny rule 'user alice topic users/alice/secret deny' at test:3")
    }

    @Test func superusersAreAllowedEverything() throws {
        let acl = try compile([("%", "#", .deny)], superusers: ["ops"])
        #expect(acl.allows("ops", "$SYS/broker/load", .read))
        #expect(acl.allows("ops", "#", .subscribe))
        #expect(acl.decide(user: "ops", clientID: nil, topic: "x", access: .publish).reason == .superuser)
        #expect(!acl.allows("ops2", "x", .publish))
        #expect(!acl.allows("ops", "a/+", .publish), "an invalid topic is denied even to a superuser")
    }

    @Test func subscribeChecksSubsumption() throws {
        let acl = try compile([("%", "users/%u/#", .pubsub), ("%", "a/+", .subscribe)])
        #expect(acl.allows("alice", "users/alice/#", .subscribe))
        #expect(acl.allows("alice", "users/alice/+/x", .subscribe))
        #expect(acl.allows("alice", "users/alice", .subscribe))
        #expect(!acl.allows("alice", "users/+/x", .subscribe))
        #expect(!acl.allows("alice", "users/bob/#", .subscribe))
        #expect(!acl.allows("alice", "#", .subscribe))
        #expect(acl.allows("alice", "a/b", .subscribe))
        #expect(acl.allows("alice", "a/+", .subscribe))
        #expect(!acl.allows("alice", "a/#", .subscribe))
    }

    @Test func partialDenyOverlapLeavesTheReadCheckToFilter() throws {
        let acl = try compile([("%", "a/#", .subscribe), ("%", "a/secret", .deny)])
        #expect(acl.allows("u", "a/#", .subscribe), "a/# is covered by an allow and only overlaps the deny")
        #expect(!acl.allows("u", "a/secret", .subscribe))
        #expect(!acl.allows("u", "a/secret", .read))
        #expect(acl.allows("u", "a/open", .read))
    }

    @Test func sharedSubscriptionsAreCheckedAsTheirFilter() throws {
        let acl = try compile([("%", "users/%u/#", .subscribe)])
        #expect(acl.allows("alice", "$share/g/users/alice/#", .subscribe))
        #expect(!acl.allows("alice", "$share/g/users/bob/#", .subscribe))
        #expect(!acl.allows("alice", "$share/g", .subscribe))
    }

    @Test func dollarTopicsNeedAnExplicitPattern() throws {
        let wildcards = try compile([("%", "#", .pubsub), ("%", "+/broker", .pubsub)])
        #expect(!wildcards.allows("u", "$SYS/broker", .read))
        #expect(!wildcards.allows("u", "$SYS/broker", .publish))
        #expect(!wildcards.allows("u", "$SYS/#", .subscribe))
        #expect(!wildcards.allows("u", "$SYS/broker", .subscribe))
        #expect(wildcards.allows("u", "#", .subscribe))
        #expect(wildcards.allows("u", "x/broker", .read))
        let explicit = try compile([("%", "$SYS/#", .subscribe)])
        #expect(explicit.allows("u", "$SYS/broker/load", .read))
        #expect(explicit.allows("u", "$SYS/#", .subscribe))
    }

    @Test(arguments: [
        ("", Access.publish), ("a/+", .publish), ("a/#", .read), ("a\u{0}", .publish),
        (String(repeating: "a", count: 65536), .read), ("a/#/b", .subscribe), ("", .subscribe),
    ])
    func invalidTopicsAreDenied(_ topic: String, _ access: Access) throws {
        let acl = try compile([("%", "#", .pubsub)])
        let decision = acl.decide(user: "u", clientID: nil, topic: topic, access: access)
        #expect(!decision.isAllowed)
        guard case .invalidTopic = decision.reason else {
            Issue.record("expected an invalid-topic reason, got \(decision.reason)")
            return
        }
    }

    @Test func aHundredThousandLevelTopicIsDecided() throws {
        let acl = try compile([("%", "a/#", .pubsub), ("%", "a/+/+/%u", .deny)])
        let deep = Array(repeating: "a", count: 30_000).joined(separator: "/")
        #expect(acl.allows("u", deep, .publish))
        let tooLong = Array(repeating: "a", count: 100_000).joined(separator: "/")
        #expect(!acl.allows("u", tooLong, .publish))
    }

    @Test func clientsWithoutUsername() throws {
        let acl = try compile([("%", "#", .pubsub)])
        #expect(!acl.allows(nil, "x", .publish))
        let anonymous = CompiledACL(superusers: [], rules: [
            ACLRule(selector: .anonymous, pattern: try TopicPattern(parsing: "public/#"),
                    permission: .subscribe, source: SourceLocation(file: "f", line: 1)),
        ])
        #expect(anonymous.allows(nil, "public/x", .read))
        #expect(!anonymous.allows("u", "public/x", .read))
    }
}

@Suite("Placeholders (docs/architecture.md §3.4, placeholder safety)")
struct PlaceholderTests {
    @Test func substitutesWholeLevels() throws {
        let acl = try compile([("%", "users/%u/#", .pubsub), ("%", "devices/%c/+", .publish)])
        #expect(acl.allows("alice", "users/alice/x", .publish))
        #expect(!acl.allows("alice", "users/bob/x", .publish))
        #expect(acl.allows("alice", "devices/c1/status", .publish, clientID: "c1"))
        #expect(!acl.allows("alice", "devices/c2/status", .publish, clientID: "c1"))
        #expect(!acl.allows("alice", "devices/c1/status", .publish, clientID: nil))
    }

    @Test(arguments: ["dev-%u", "a/%u-x/b", "%c%u", "x%c"])
    func partialPlaceholdersAreErrors(_ topic: String) {
        #expect(throws: RuleError.self) { try TopicPattern(parsing: topic) }
    }

    /// Usernames and client ids that are not one ordinary level must never widen access.
    @Test(arguments: ["alice/x", "+", "#", "", "a/+", "x/#", "$SYS", "a\u{0}b"])
    func injectionNeverWidensAccess(_ hostile: String) throws {
        let acl = try compile([("%", "users/%u/#", .pubsub), ("%", "clients/%c/#", .pubsub)])
        for topic in ["users/alice/x/y", "users/alice/x", "users/x", "users/+/x", "users/#", "clients/alice/x/1", "$SYS/x"] {
            for access in [Access.publish, .subscribe, .read] {
                #expect(!acl.allows(hostile, topic, access, clientID: "ok"), "user \(hostile) \(access) \(topic)")
                #expect(!acl.allows("ok", topic, access, clientID: hostile), "client \(hostile) \(access) \(topic)")
            }
        }
    }

    @Test(arguments: ["alice/x", "+", "#", "", "$SYS"])
    func denyWithUnsubstitutablePlaceholderStillApplies(_ hostile: String) throws {
        let acl = try compile([("%", "users/#", .pubsub), ("%", "users/%u/secret", .deny)])
        #expect(acl.allows(hostile, "users/anyone/open", .publish))
        #expect(!acl.allows(hostile, "users/anyone/secret", .publish), "the bad value reads as '+'")
        #expect(!acl.allows(hostile, "users/+/secret", .subscribe))
        #expect(acl.allows("alice", "users/bob/secret", .publish), "a good value substitutes exactly")
        #expect(!acl.allows("alice", "users/alice/secret", .publish))
    }

    @Test func dollarValuesNeverReachDollarTopics() throws {
        let acl = try compile([("%", "%c/#", .pubsub)])
        #expect(!acl.allows("u", "$SYS/broker", .read, clientID: "$SYS"))
        #expect(!acl.allows("u", "$SYS/#", .subscribe, clientID: "$SYS"))
        #expect(acl.allows("u", "c1/x", .read, clientID: "c1"))
    }

    @Test(arguments: [("alice", true), ("alice/x", false), ("+", false), ("#", false), ("", false),
                      ("$x", false), ("a\u{0}", false), ("é", true), ("a b", true)])
    func substitutableValues(_ value: String, _ expected: Bool) {
        #expect(PlaceholderValue.isSubstitutable(value) == expected)
    }
}
