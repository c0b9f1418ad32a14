import MQTTAuthCore

/// docs/architecture.md §3 read literally: for every request, scan every rule, check its `when:`
/// conditions, substitute its placeholders, and match or check subsumption with the plain
/// filter functions. Slow on purpose and simple enough to check by eye; the compiled trie must
/// agree with it on every request.
package struct ReferenceACL: Sendable {
    package let superusers: Set<String>
    package let rules: [ACLRule]

    package init(superusers: some Sequence<String>, rules: [ACLRule]) {
        self.superusers = Set(superusers)
        self.rules = rules
    }

    package func isAllowed(
        user: String?,
        clientID: String?,
        topic: String,
        access: Access,
        attributes: UserAttributes = .none
    ) -> Bool {
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
        for rule in rules where rule.selector.matches(user) && rule.conditionsHold(for: attributes) {
            for pattern in Self.substitutions(rule, user: user, clientID: clientID, attributes: attributes) {
                let covers = name.map { pattern.matches($0) } ?? pattern.covers(request)
                guard covers else { continue }
                if rule.permission == .deny { return false }
                if rule.permission.grants(access) { granted = true }
            }
        }
        return granted
    }

    /// Every reading of the rule's pattern with its placeholders replaced; the rule applies if
    /// any of them covers the request. `%u`/`%c` have one value; each `%{name}` level takes, on
    /// its own, each of the attribute's usable values. A placeholder without a usable value makes
    /// an allow rule inapplicable (no reading) and turns into `+` in a deny rule.
    static func substitutions(_ rule: ACLRule, user: String?, clientID: String?, attributes: UserAttributes) -> [TopicFilter] {
        var readings: [[FilterLevel]] = [[]]
        for level in rule.pattern.levels {
            let choices: [FilterLevel]
            switch level {
            case .literal(let literal): choices = [.literal(literal)]
            case .plus: choices = [.plus]
            case .hash: choices = [.hash]
            case .username, .clientID, .attribute:
                let values: [String?] = switch level {
                case .username: [user]
                case .clientID: [clientID]
                case .attribute(let name): attributes.values[name] ?? []
                default: []
                }
                let usable = values.compactMap { PlaceholderValue.isSubstitutable($0) ? $0 : nil }
                if !usable.isEmpty {
                    choices = usable.map { .literal(Substring($0)) }
                } else if rule.permission == .deny {
                    choices = [.plus]
                } else {
                    return []
                }
            }
            readings = readings.flatMap { reading in choices.map { reading + [$0] } }
        }
        return readings.map { TopicFilter(levels: $0, description: rule.pattern.description) }
    }
}
