import ACLCheckKit
import Foundation
import MQTTAuthCore
import Testing

/// How `aclcheck --json` (and the admin API, which answers the same report) shows a strict
/// subscribe refused because deny rules overlap the filter, made from the core's decision
/// directly (`--strict-subscribe` and `strict_subscribe` ask for it end to end).
@Suite("aclcheck report of a strict subscribe")
struct StrictReportTests {
    @Test func overlappingDenyRulesAreReported() throws {
        let rules = [
            ACLRule(selector: .anyUser, pattern: try TopicPattern(parsing: "users/%u/#"), permission: .pubsub,
                    source: SourceLocation(file: "config.yml", line: 4)),
            ACLRule(selector: .anyUser, pattern: try TopicPattern(parsing: "users/%u/secret/#"), permission: .deny,
                    source: SourceLocation(file: "config.yml", line: 7)),
        ]
        let acl = CompiledACL(superusers: [], rules: rules)
        let request = CheckRequest(user: "bob", clientID: "c-1", topic: "users/bob/#", access: .subscribe)
        let decision = acl.decide(user: "bob", clientID: "c-1", topic: "users/bob/#", access: .subscribe, strictSubscribe: true)
        #expect(!decision.isAllowed)

        let report = try JSONDecoder().decode(JSONDecision.self, from: Data(request.json(decision).utf8))
        #expect(report.result == "deny")
        #expect(report.reason == "overlaps_deny")
        #expect(report.access == "subscribe")
        #expect(report.message == "deny strict subscribe: the filter overlaps rule 'user % topic users/%u/secret/# deny' at config.yml:7")
        #expect(report.rules.map(\.topic) == ["users/%u/secret/#"])
        #expect(report.rules.map(\.permission) == ["deny"])
        #expect(report.rules.map(\.source) == ["config.yml:7"])

        // The same request without strictness is the ordinary allow, reported as before.
        let ordinary = try JSONDecoder().decode(JSONDecision.self, from: Data(request.json(request.decide(with: acl)).utf8))
        #expect(ordinary.result == "allow")
        #expect(ordinary.reason == "rule")
        #expect(ordinary.rules.map(\.source) == ["config.yml:4"])
    }
}
