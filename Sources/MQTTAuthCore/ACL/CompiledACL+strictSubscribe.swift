extension CompiledACL {
    /// The strict subscribe step (docs/architecture.md §3.12), after an ordinary subscribe
    /// decision: an allowed subscription is refused when any deny rule that applies to the user
    /// (its selector matches, its `when:` conditions hold) overlaps the filter, that is, shares
    /// at least one topic name with it. Superusers stay allowed; a refusal stays a refusal.
    ///
    /// Why: the ordinary check lets a subscription that only partly overlaps a deny through,
    /// trusting the broker to check each message it delivers. A broker that checks only the
    /// subscription would deliver the denied messages; for it, no part of a subscription may
    /// reach a denied topic.
    ///
    /// Placeholders in a deny pattern take the user's values; one with no usable value reads as
    /// `+` (fail closed), and an array attribute stands for each of its usable values.
    ///
    /// Cost: the deny rules are filed by trie root at compile time (`strictDenies`), so the step
    /// reads only the deny rules of the roots that apply to the user (their own, `%`, the
    /// every-client and anonymous sets, their prefixes, the `when:` sets they meet), each with one
    /// walk over the filter's levels (`FilterOverlap`). Unlike a decision, it grows with the
    /// number of deny rules that apply to the user, which in practice are few; with
    /// `collect: false` it stops at the first overlap.
    func refusingOverlaps(
        _ decision: Decision,
        user: String?,
        clientID: String?,
        filter: String,
        attributes: ResolvedAttributes,
        collect: Bool
    ) -> Decision {
        guard decision.isAllowed, decision.reason != .superuser, !strictDenies.isEmpty else { return decision }
        let overlapping = filter.withBytes { filterBytes in
            withOptionalBytes(user) { userBytes in
                withOptionalBytes(clientID) { clientBytes in
                    overlappingDenies(filterBytes, userBytes, clientBytes, attributes, collect: collect)
                }
            }
        }
        guard !overlapping.isEmpty else { return decision }
        return Decision(isAllowed: false, reason: .overlapsDeny(collect ? overlapping.map { rules[Int($0)] } : []))
    }

    /// The indexes of the deny rules that apply to the user and overlap the filter, in source
    /// order; with `collect: false`, at most the first one found.
    private func overlappingDenies(
        _ filter: UnsafeBufferPointer<UInt8>,
        _ user: UnsafeBufferPointer<UInt8>?,
        _ clientID: UnsafeBufferPointer<UInt8>?,
        _ attributes: ResolvedAttributes,
        collect: Bool
    ) -> [Int32] {
        // Validated by the decision that allowed it; only the `$share/<group>/` offset is new.
        guard let start = try? TopicText.validateFilter(filter, subscription: true) else { return [] }
        let filter = UnsafeBufferPointer(rebasing: filter[start...])
        let username = user.flatMap { PlaceholderValue.isSubstitutable($0) ? $0 : nil }
        let clientID = clientID.flatMap { PlaceholderValue.isSubstitutable($0) ? $0 : nil }
        var found: [Int32] = []
        forEachRoot(for: user, attributes: attributes) { root in
            guard collect || found.isEmpty, let denies = strictDenies[root] else { return }
            for deny in denies {
                let pattern = StrictDeny.Substituted(levels: deny.levels, username: username, clientID: clientID, attributes: attributes.storage)
                guard FilterOverlap.exists(filter: filter, pattern: pattern) else { continue }
                found.append(deny.rule)
                if !collect { return }
            }
        }
        // Each rule sits under one root only, so there are no repeats to remove.
        return found.sorted()
    }
}
