import MQTTAuthCore

/// docs/architecture.md §3 read literally: for every request, scan every rule, substitute its
/// placeholders, and match or check subsumption with the plain filter functions. Slow on purpose
/// and simple enough to check by eye; the compiled trie must agree with it on every request.
package struct ReferenceACL: Sendable {
    package let superusers: Set<String>
    package let rules: [ACLRule]

    package init(superusers: some Sequence<String>, rules: [ACLRule]) {
        self.superusers = Set(superusers)
        self.rules = rules
    }

    package func isAllowed(user: String?, clientID: String?, topic: String, access: Access) -> Bool {
        if access == .unsubscribe { return true }
        let request: TopicFilter
        let name: TopicName?
        do {
            if access == .subscribe {
                request = try TopicFilter(topic, subscription: true)
                name = nil
            } else {
                let parsed = try TopicName(topic)
                name = parsed
                request = TopicFilter(levels: parsed.levels.map { .literal($0) }, description: topic)
            }
        } catch {
            return false
        }
        if let user, superusers.contains(user) { return true }
        var granted = false
        for rule in rules where rule.selector.matches(user) {
            guard let pattern = Self.substitute(rule, user: user, clientID: clientID) else { continue }
            let covers = name.map { pattern.matches($0) } ?? pattern.covers(request)
            guard covers else { continue }
            if rule.permission == .deny { return false }
            if rule.permission.grants(access) { granted = true }
        }
        return granted
    }

    /// The rule's pattern with `%u`/`%c` replaced. A value that cannot be substituted makes an
    /// allow rule inapplicable (nil) and turns into `+` in a deny rule.
    static func substitute(_ rule: ACLRule, user: String?, clientID: String?) -> TopicFilter? {
        var levels: [FilterLevel] = []
        for level in rule.pattern.levels {
            switch level {
            case .literal(let literal): levels.append(.literal(literal))
            case .plus: levels.append(.plus)
            case .hash: levels.append(.hash)
            case .username, .clientID:
                let value = level == .username ? user : clientID
                if PlaceholderValue.isSubstitutable(value), let value {
                    levels.append(.literal(Substring(value)))
                } else if rule.permission == .deny {
                    levels.append(.plus)
                } else {
                    return nil
                }
            }
        }
        return TopicFilter(levels: levels, description: rule.pattern.description)
    }
}
