/// One rule: who, which topics, what. Rule order never matters.
package struct ACLRule: Sendable, Hashable, CustomStringConvertible {
    package let selector: UserSelector
    package let pattern: TopicPattern
    package let permission: Permission
    package let source: SourceLocation

    package init(selector: UserSelector, pattern: TopicPattern, permission: Permission, source: SourceLocation) {
        self.selector = selector
        self.pattern = pattern
        self.permission = permission
        self.source = source
    }

    /// `user % topic users/%u/# pubsub`.
    package var description: String {
        "user \(selector) topic \(pattern) \(permission)"
    }
}
