/// The answer to one ACL question, with what decided it.
package struct Decision: Sendable, Equatable, CustomStringConvertible {
    package enum Reason: Sendable, Equatable {
        /// The user is listed under `superusers`.
        case superuser
        /// These rules decided: the covering deny rules, or else the covering rules that grant.
        case rules([ACLRule])
        /// No rule covered the request.
        case noRuleMatched
        /// The topic or filter is not valid for the access; the text says why.
        case invalidTopic(String)
        /// Unsubscribing is always allowed.
        case unsubscribe
        /// A strict subscribe (`CompiledACL.decide(…strictSubscribe: true)`) that the rules
        /// allow, refused because these deny rules, in source order, overlap the filter: they
        /// deny some topic it can match. Empty from `isAllowed`, which explains nothing.
        case overlapsDeny([ACLRule])
    }

    package let isAllowed: Bool
    package let reason: Reason

    package init(isAllowed: Bool, reason: Reason) {
        self.isAllowed = isAllowed
        self.reason = reason
    }

    /// One line: `allow` or `deny`, then what decided and where it came from.
    package var description: String {
        let verdict = isAllowed ? "allow" : "deny"
        switch reason {
        case .superuser:
            return "\(verdict) superuser"
        case .rules(let rules):
            let explained = rules.map { "rule '\($0)' at \($0.source)" }.joined(separator: "; ")
            return "\(verdict) \(explained)"
        case .noRuleMatched:
            return "\(verdict) no rule matched (default deny)"
        case .invalidTopic(let why):
            return "\(verdict) invalid topic: \(why)"
        case .unsubscribe:
            return "\(verdict) unsubscribe is always allowed"
        case .overlapsDeny(let rules):
            let explained = rules.isEmpty ? "a deny rule" : rules.map { "rule '\($0)' at \($0.source)" }.joined(separator: "; ")
            return "\(verdict) strict subscribe: the filter overlaps \(explained)"
        }
    }
}
