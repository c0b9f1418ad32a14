import Foundation
import MQTTAuthCore

extension CheckRequest {
    private struct Report: Encodable {
        struct Rule: Encodable {
            let user: String
            let topic: String
            let permission: String
            let source: String
        }

        let result: String
        let access: String
        let user: String?
        let clientid: String?
        let topic: String
        /// `rule`, `superuser`, `default`, `invalid_topic` or `unsubscribe`.
        let reason: String
        let message: String
        let rules: [Rule]
    }

    /// The decision as one line of JSON, what `--json` prints.
    package func json(_ decision: Decision) -> String {
        var reason = "rule"
        var rules: [Report.Rule] = []
        switch decision.reason {
        case .superuser: reason = "superuser"
        case .noRuleMatched: reason = "default"
        case .invalidTopic: reason = "invalid_topic"
        case .unsubscribe: reason = "unsubscribe"
        case .rules(let deciding):
            rules = deciding.map {
                Report.Rule(
                    user: $0.selector.description,
                    topic: $0.pattern.description,
                    permission: $0.permission.description,
                    source: $0.source.description
                )
            }
        }
        let report = Report(
            result: decision.isAllowed ? "allow" : "deny",
            access: access.description,
            user: user,
            clientid: clientID,
            topic: topic,
            reason: reason,
            message: decision.description,
            rules: rules
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings and arrays cannot fail.
        return String(decoding: try! encoder.encode(report), as: UTF8.self)
    }
}
