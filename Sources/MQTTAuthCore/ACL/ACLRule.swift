/// One rule: who, which topics, what, and on which attributes. Rule order never matters.
package struct ACLRule: Sendable, Hashable, CustomStringConvertible {
    package let selector: UserSelector
    package let pattern: TopicPattern
    package let permission: Permission
    /// `when:` conditions, sorted and without repeats: the rule applies only when all hold.
    package let conditions: [AttributeCondition]
    package let source: SourceLocation

    package init(
        selector: UserSelector,
        pattern: TopicPattern,
        permission: Permission,
        conditions: [AttributeCondition] = [],
        source: SourceLocation
    ) {
        self.selector = selector
        self.pattern = pattern
        self.permission = permission
        self.conditions = Array(Set(conditions)).sorted()
        self.source = source
    }

    /// True if the user's attributes meet every `when:` condition.
    package func conditionsHold(for attributes: UserAttributes) -> Bool {
        conditions.allSatisfy { attributes.holds($0.name, $0.value) }
    }

    /// `user % topic users/%u/# pubsub`, `user % topic orgs/%{org}/# pubsub when roles=admin`.
    package var description: String {
        let base = "user \(selector) topic \(pattern) \(permission)"
        guard !conditions.isEmpty else { return base }
        return base + " when " + conditions.map(\.description).joined(separator: ", ")
    }
}
