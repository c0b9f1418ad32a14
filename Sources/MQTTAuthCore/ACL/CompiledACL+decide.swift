extension CompiledACL {
    /// Decides one request and explains the result.
    ///
    /// - Parameters:
    ///   - user: the username, or nil for a client without one.
    ///   - clientID: the client id, or nil when unknown.
    ///   - topic: a topic name for `publish` and `read`, a filter for `subscribe`
    ///     (`$share/<group>/` is stripped).
    ///   - attributes: the user's attributes, for `%{name}` levels and `when:` conditions.
    ///   - strictSubscribe: for brokers that check a subscription but not each message it
    ///     delivers: a subscribe the rules allow is refused when a deny rule that applies to the
    ///     user overlaps the filter (`refusingOverlaps`). Other accesses ignore it.
    package func decide(
        user: String?,
        clientID: String?,
        topic: String,
        access: Access,
        attributes: UserAttributes = .none,
        strictSubscribe: Bool = false
    ) -> Decision {
        decision(user: user, clientID: clientID, topic: topic, access: access, attributes: resolve(attributes), strictSubscribe: strictSubscribe, collect: true)
    }

    /// `decide` with attributes resolved ahead (`resolve(_:)`).
    package func decide(
        user: String?,
        clientID: String?,
        topic: String,
        access: Access,
        attributes: ResolvedAttributes,
        strictSubscribe: Bool = false
    ) -> Decision {
        decision(user: user, clientID: clientID, topic: topic, access: access, attributes: usable(attributes), strictSubscribe: strictSubscribe, collect: true)
    }

    /// The verdict alone, without allocating an explanation.
    package func isAllowed(
        user: String?,
        clientID: String?,
        topic: String,
        access: Access,
        attributes: UserAttributes = .none,
        strictSubscribe: Bool = false
    ) -> Bool {
        decision(user: user, clientID: clientID, topic: topic, access: access, attributes: resolve(attributes), strictSubscribe: strictSubscribe, collect: false).isAllowed
    }

    /// `isAllowed` with attributes resolved ahead (`resolve(_:)`): the broker's per-message
    /// path, which resolves a client's attributes once when it connects. Without
    /// `strictSubscribe` it does what it did before the flag existed, plus one test of it.
    package func isAllowed(
        user: String?,
        clientID: String?,
        topic: String,
        access: Access,
        attributes: ResolvedAttributes,
        strictSubscribe: Bool = false
    ) -> Bool {
        decision(user: user, clientID: clientID, topic: topic, access: access, attributes: usable(attributes), strictSubscribe: strictSubscribe, collect: false).isAllowed
    }

    /// Every public entry point: the decision, then for a strict subscribe the overlap check.
    private func decision(
        user: String?, clientID: String?, topic: String, access: Access, attributes: ResolvedAttributes, strictSubscribe: Bool, collect: Bool
    ) -> Decision {
        let decision = evaluate(user: user, clientID: clientID, topic: topic, access: access, attributes: attributes, collect: collect)
        guard strictSubscribe, access == .subscribe else { return decision }
        return refusingOverlaps(decision, user: user, clientID: clientID, filter: topic, attributes: attributes, collect: collect)
    }

    private func evaluate(
        user: String?,
        clientID: String?,
        topic: String,
        access: Access,
        attributes: ResolvedAttributes,
        collect: Bool
    ) -> Decision {
        if access == .unsubscribe { return Decision(isAllowed: true, reason: .unsubscribe) }
        return topic.withBytes { topicBytes in
            withOptionalBytes(user) { userBytes in
                withOptionalBytes(clientID) { clientBytes in
                    evaluate(topicBytes, userBytes, clientBytes, attributes, access, collect)
                }
            }
        }
    }

    private func evaluate(
        _ topic: UnsafeBufferPointer<UInt8>,
        _ user: UnsafeBufferPointer<UInt8>?,
        _ clientID: UnsafeBufferPointer<UInt8>?,
        _ attributes: ResolvedAttributes,
        _ access: Access,
        _ collect: Bool
    ) -> Decision {
        var start = 0
        do {
            if access == .subscribe {
                start = try TopicText.validateFilter(topic, subscription: true)
            } else {
                try TopicText.validateName(topic)
            }
        } catch {
            return Decision(isAllowed: false, reason: .invalidTopic(error.description))
        }
        if let user, isSuperuser(user) { return Decision(isAllowed: true, reason: .superuser) }
        var walker = TrieWalker(
            acl: self,
            text: UnsafeBufferPointer(rebasing: topic[start...]),
            username: user,
            clientID: clientID,
            attributes: attributes,
            access: access,
            collect: collect
        )
        if access == .subscribe {
            forEachRoot(for: user, attributes: attributes) { walker.cover($0, at: 0, denyOnly: false) }
        } else {
            forEachRoot(for: user, attributes: attributes) { walker.match($0, at: 0, denyOnly: false) }
        }
        let allowed = walker.allowed && !walker.denied
        guard collect else { return Decision(isAllowed: allowed, reason: .noRuleMatched) }
        guard walker.allowed || walker.denied else { return Decision(isAllowed: false, reason: .noRuleMatched) }
        return Decision(isAllowed: allowed, reason: .rules(explain(walker.found, allowed: allowed, access: access)))
    }

    /// The deciding rules: every covering deny rule, or else every covering rule that grants.
    /// Sorted by source order so that the explanation does not depend on trie layout.
    private func explain(_ found: [(node: Int32, below: Bool)], allowed: Bool, access: Access) -> [ACLRule] {
        var indexes = Set<Int32>()
        for (node, below) in found {
            let ending = explanations[node, default: NodeRules()]
            for index in below ? ending.below : ending.atEnd {
                let permission = rules[Int(index)].permission
                if allowed ? permission.grants(access) : permission == .deny {
                    indexes.insert(index)
                }
            }
        }
        return indexes.sorted().map { rules[Int($0)] }
    }
}

/// Runs `body` over the bytes of `text`, or with nil when there is none.
@inline(__always)
func withOptionalBytes<R>(_ text: String?, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
    guard let text else { return body(nil) }
    return text.withBytes { body($0) }
}
