extension CompiledACL {
    /// Decides one request and explains the result.
    ///
    /// - Parameters:
    ///   - user: the username, or nil for a client without one.
    ///   - clientID: the client id, or nil when unknown.
    ///   - topic: a topic name for `publish` and `read`, a filter for `subscribe`
    ///     (`$share/<group>/` is stripped).
    package func decide(user: String?, clientID: String?, topic: String, access: Access) -> Decision {
        evaluate(user: user, clientID: clientID, topic: topic, access: access, collect: true)
    }

    /// The verdict alone, without allocating an explanation: the broker's per-message path.
    package func isAllowed(user: String?, clientID: String?, topic: String, access: Access) -> Bool {
        evaluate(user: user, clientID: clientID, topic: topic, access: access, collect: false).isAllowed
    }

    private func evaluate(user: String?, clientID: String?, topic: String, access: Access, collect: Bool) -> Decision {
        if access == .unsubscribe { return Decision(isAllowed: true, reason: .unsubscribe) }
        var state = WalkState(username: user, clientID: clientID, access: access, collect: collect)
        do {
            if access == .subscribe {
                let filter = try TopicFilter(topic, subscription: true)
                if let user, superusers.contains(user) { return Decision(isAllowed: true, reason: .superuser) }
                forEachTrie(for: user) { $0.cover(filter.levels, at: 0, denyOnly: false, &state) }
            } else {
                let name = try TopicName(topic)
                if let user, superusers.contains(user) { return Decision(isAllowed: true, reason: .superuser) }
                forEachTrie(for: user) { $0.match(name.levels, at: 0, denyOnly: false, &state) }
            }
        } catch {
            return Decision(isAllowed: false, reason: .invalidTopic(error.description))
        }
        let allowed = state.allowed && !state.denied
        guard collect else { return Decision(isAllowed: allowed, reason: .noRuleMatched) }
        guard state.allowed || state.denied else { return Decision(isAllowed: false, reason: .noRuleMatched) }
        return Decision(isAllowed: allowed, reason: .rules(explain(state.terminals, allowed: allowed, access: access)))
    }

    /// The deciding rules: every covering deny rule, or else every covering rule that grants.
    /// Sorted by source so that the explanation does not depend on trie layout.
    private func explain(_ terminals: [Terminal], allowed: Bool, access: Access) -> [ACLRule] {
        var indexes = Set<Int32>()
        for terminal in terminals {
            for index in terminal.rules {
                let permission = rules[Int(index)].permission
                if allowed ? permission.grants(access) : permission == .deny {
                    indexes.insert(index)
                }
            }
        }
        return indexes.sorted().map { rules[Int($0)] }
    }
}
