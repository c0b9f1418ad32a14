#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MQTTAuthCore

/// A decision as `aclcheck --json` reports it; the admin API's ACL check answers the same
/// content (README "aclcheck", "Admin API").
package struct CheckReport: Encodable, Sendable, Equatable {
    package struct Rule: Encodable, Sendable, Equatable {
        package let user: String
        package let topic: String
        package let permission: String
        /// Where the rule is written: `file:line`.
        package let source: String

        init(_ rule: ACLRule) {
            self.user = rule.selector.description
            self.topic = rule.pattern.description
            self.permission = rule.permission.description
            self.source = rule.source.description
        }
    }

    /// `allow` or `deny`.
    package let result: String
    package let access: String
    package let user: String?
    package let clientid: String?
    package let topic: String
    /// `rule`, `superuser`, `default`, `invalid_topic`, `unsubscribe`, or `overlaps_deny` (a
    /// strict subscribe refused because the `rules` listed overlap the filter; neither aclcheck
    /// nor the admin API asks for strict subscribes yet).
    package let reason: String
    package let message: String
    package let rules: [Rule]

    package init(_ request: CheckRequest, _ decision: Decision) {
        var reason = "rule"
        var rules: [Rule] = []
        switch decision.reason {
        case .superuser: reason = "superuser"
        case .noRuleMatched: reason = "default"
        case .invalidTopic: reason = "invalid_topic"
        case .unsubscribe: reason = "unsubscribe"
        case .rules(let deciding):
            rules = deciding.map(Rule.init)
        case .overlapsDeny(let overlapping):
            reason = "overlaps_deny"
            rules = overlapping.map(Rule.init)
        }
        self.result = decision.isAllowed ? "allow" : "deny"
        self.access = request.access.description
        self.user = request.user
        self.clientid = request.clientID
        self.topic = request.topic
        self.reason = reason
        self.message = decision.description
        self.rules = rules
    }
}

extension CheckRequest {
    /// The decision as one line of JSON, what `--json` prints.
    package func json(_ decision: Decision) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings and arrays cannot fail.
        return String(decoding: try! encoder.encode(CheckReport(self, decision)), as: UTF8.self)
    }
}
