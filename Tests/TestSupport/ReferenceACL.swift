import MQTTAuthCore

/// docs/architecture.md §3 read literally: for every request, scan every rule, check its `when:`
/// conditions, substitute its placeholders, and match or check subsumption with the plain
/// filter functions; for a strict subscribe (§3.12), then look for a topic the filter shares
/// with a deny rule by building one. Slow on purpose and simple enough to check by eye; the
/// compiled trie must agree with it on every request.
package struct ReferenceACL: Sendable {
    package let superusers: Set<String>
    package let rules: [ACLRule]

    package init(superusers: some Sequence<String>, rules: [ACLRule]) {
        self.superusers = Set(superusers)
        self.rules = rules
    }

    /// The verdict; with `strictSubscribe`, a subscribe the rules allow is then refused if any
    /// deny rule that applies to the user shares a topic with the filter (`overlapsDeny`).
    package func isAllowed(
        user: String?,
        clientID: String?,
        topic: String,
        access: Access,
        attributes: UserAttributes = .none,
        strictSubscribe: Bool = false
    ) -> Bool {
        let allowed = decides(user: user, clientID: clientID, topic: topic, access: access, attributes: attributes)
        let superuser = user.map { superusers.contains($0) } ?? false
        guard allowed, strictSubscribe, access == .subscribe, !superuser,
              let filter = try? TopicFilter(topic, subscription: true) else { return allowed }
        return !overlapsDeny(filter, user: user, clientID: clientID, attributes: attributes)
    }

    /// True if some deny rule that applies to the user, with its placeholders substituted as
    /// for an ordinary decision, matches some topic that `filter` matches as well.
    package func overlapsDeny(_ filter: TopicFilter, user: String?, clientID: String?, attributes: UserAttributes) -> Bool {
        rules.contains { rule in
            rule.permission == .deny && rule.selector.matches(user) && rule.conditionsHold(for: attributes)
                && Self.substitutions(rule, user: user, clientID: clientID, attributes: attributes)
                    .contains { Self.commonTopic(filter, $0) != nil }
        }
    }

    /// The ordinary decision, §3 read literally.
    private func decides(
        user: String?,
        clientID: String?,
        topic: String,
        access: Access,
        attributes: UserAttributes
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

    /// A topic name both filters match, or nil when there is none.
    ///
    /// Built, not searched for: where either filter has a literal the topic takes it, elsewhere
    /// the ordinary level `a` (never `$`, so that a leading wildcard accepts it), as many levels
    /// as the longer filter has before any `#` (a filter without `#` fixes the count outright),
    /// and one more when both end in `#` and those levels would spell the empty string, which
    /// is no topic. If any topic matches both, this one does, so checking it with the plain
    /// `matches` settles the question.
    package static func commonTopic(_ a: TopicFilter, _ b: TopicFilter) -> TopicName? {
        func fixedCount(_ filter: TopicFilter) -> Int? { filter.levels.last == .hash ? nil : filter.levels.count }
        func literal(_ filter: TopicFilter, _ index: Int) -> Substring? {
            guard index < filter.levels.count, case .literal(let level) = filter.levels[index] else { return nil }
            return level
        }
        let count: Int
        switch (fixedCount(a), fixedCount(b)) {
        case (let x?, let y?):
            guard x == y else { return nil }
            count = x
        case (let x?, nil), (nil, let x?): count = x
        case (nil, nil): count = max(a.levels.count - 1, b.levels.count - 1, 1)
        }
        var levels = (0..<count).map { literal(a, $0) ?? literal(b, $0) ?? "a" }
        if levels == [""], fixedCount(a) == nil, fixedCount(b) == nil { levels.append("a") }
        guard let topic = try? TopicName(levels.joined(separator: "/")), a.matches(topic), b.matches(topic) else { return nil }
        return topic
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
