/// Superusers and rules compiled into one frozen trie. Build it with `init(superusers:rules:)`,
/// share it freely, and on reload build a new one and swap the reference.
///
/// A decision walks at most: the user's own trie, the `%` trie, the every-client trie and the
/// trie of each `prefix%` selector the username starts with; and for rules with `when:`, the
/// same roots of each condition set the user meets (`ConditionalRoots`). Each walk follows the
/// request's levels through hash-table edges, and at a node with `%{name}` children only those
/// names are tried, so the cost grows with the topic's depth and the user's attributes, not
/// with the number of rules.
///
/// A strict subscribe (`decide(…strictSubscribe: true)`, docs/architecture.md §3.12) adds one
/// step after an allow, which reads the deny rules of those same roots (`strictDenies`): its
/// cost grows with the number of deny rules that apply to the user, and only those.
package struct CompiledACL: Sendable {
    /// Every rule, in source order; terminals refer to rules by index.
    package let rules: [ACLRule]

    let cells: FrozenBuffer<TrieCell>
    let edges: EdgeTable
    /// The bytes of every key; inline edges with keys over 16 bytes compare against it.
    let keys: FrozenBuffer<UInt8>
    /// A table of its own, small enough to stay in cache: every decision consults it.
    let superusers: EdgeTable
    /// The rules that end at each node: read only to explain a decision.
    let explanations: [Int32: NodeRules]
    /// For each node of the username-prefix byte tries, the topic trie of its selector, or -1.
    let prefixTargets: [Int32]
    /// The roots of the rules without `when:`.
    let roots: SelectorRoots
    /// The roots of rules with `when:`, filed under their first condition (`ConditionalRoots`).
    let conditional: [AttributeCondition: [ConditionalRoots]]
    /// `AttributeEdge.attribute` → attribute name.
    let attributeNames: [String]
    /// The deny rules of each trie root that has any, for the strict subscribe check only: by
    /// root, so that the roots `forEachRoot` yields for a user (selector and `when:` sets alike)
    /// lead straight to the deny rules that apply to that user, and to no others.
    let strictDenies: [Int32: [StrictDeny]]
    /// Which policy this is, for `ResolvedAttributes`.
    let identity = PolicyIdentity()

    /// The tries of one set of rules, by user selector; -1 where there is none.
    struct SelectorRoots: Sendable {
        var anyUser = TrieNode.none
        var anonymous = TrieNode.none
        var everyone = TrieNode.none
        /// The edge parent under which exact usernames lead to their tries.
        var exactUserParent = TrieLayout.exactUserParent
        /// False when the set has no rules for exact usernames: the username is then not looked up.
        var hasExactUsers = true
        /// The root of this set's username-prefix byte trie in `prefixTargets`, or -1.
        var prefixRoot = -1
    }

    /// The tries of the rules that share one `when:` condition set. The set is filed under its
    /// first condition (in `AttributeCondition` order); `rest` is checked before walking.
    struct ConditionalRoots: Sendable {
        let rest: [AttributeCondition]
        let roots: SelectorRoots
        /// Numbers the sets, so that a user meeting one through several values counts it once.
        let offset: Int
    }

    package init(superusers: some Sequence<String>, rules: [ACLRule]) {
        precondition(rules.count < Int32.max, "rule indexes are stored as Int32")
        precondition(TrieLayout.sizesHold, "the trie's cell layout does not match the sizes of its node, edge and slot types")
        var groups: [[AttributeCondition]: SelectorBuilders] = [:]
        for (index, rule) in rules.enumerated() {
            groups[rule.conditions, default: SelectorBuilders()].insert(rule, index: Int32(index))
        }
        var layout = TrieLayout()
        self.roots = groups[[]].map { $0.add(to: &layout, index: 0) } ?? SelectorRoots()
        var conditional: [AttributeCondition: [ConditionalRoots]] = [:]
        // Sorted so that the layout does not depend on dictionary order.
        for (offset, (conditions, builders)) in groups.filter({ !$0.key.isEmpty }).sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }).enumerated() {
            let roots = builders.add(to: &layout, index: offset + 1)
            conditional[conditions[0], default: []].append(ConditionalRoots(rest: Array(conditions.dropFirst()), roots: roots, offset: offset))
        }
        self.conditional = conditional
        self.cells = FrozenBuffer(layout.cells)
        self.keys = FrozenBuffer(layout.keys)
        self.edges = EdgeTable(edges: layout.edges, arena: keys)
        var names: [UInt8] = []
        let superuserEdges = Set(superusers).map { name in
            defer { names += name.utf8 }
            return EdgeTable.Edge(parent: 0, keyStart: names.count, keyCount: name.utf8.count, child: 0)
        }
        self.superusers = EdgeTable(edges: superuserEdges, arena: FrozenBuffer(names))
        self.explanations = layout.explanations
        self.prefixTargets = layout.prefixTargets
        var attributeNames = Array(repeating: "", count: layout.attributeIDs.count)
        for (name, id) in layout.attributeIDs { attributeNames[Int(id)] = name }
        self.attributeNames = attributeNames
        let attributeIDs = layout.attributeIDs
        self.strictDenies = layout.denyRules.mapValues { indexes in
            indexes.map { StrictDeny(rule: $0, pattern: rules[Int($0)].pattern, attributeIDs: attributeIDs) }
        }
        self.rules = rules
    }

    func isSuperuser(_ user: UnsafeBufferPointer<UInt8>) -> Bool {
        superusers.child(of: 0, key: user) != TrieNode.none
    }

    /// Calls `body` with the root of each trie whose selector matches `user` (nil: no username)
    /// and whose `when:` conditions the user meets (`attributes` resolved against this policy).
    @inline(__always)
    func forEachRoot(for user: UnsafeBufferPointer<UInt8>?, attributes: ResolvedAttributes, _ body: (Int32) -> Void) {
        forEachRoot(of: roots, for: user, body)
        let storage = attributes.storage
        for index in 0..<storage.header.rootCount {
            forEachRoot(of: storage.root(index), for: user, body)
        }
    }

    @inline(__always)
    private func forEachRoot(of roots: SelectorRoots, for user: UnsafeBufferPointer<UInt8>?, _ body: (Int32) -> Void) {
        if roots.everyone >= 0 { body(roots.everyone) }
        guard let user else {
            if roots.anonymous >= 0 { body(roots.anonymous) }
            return
        }
        if roots.hasExactUsers {
            let own = edges.child(of: roots.exactUserParent, key: user)
            if own >= 0 { body(own) }
        }
        if roots.anyUser >= 0 { body(roots.anyUser) }
        guard roots.prefixRoot >= 0 else { return }
        var current = roots.prefixRoot
        for index in user.indices {
            let byte = UnsafeBufferPointer(rebasing: user[index..<index + 1])
            let next = edges.child(of: TrieLayout.prefixParent(current), key: byte)
            guard next >= 0 else { return }
            current = Int(next)
            let target = prefixTargets[current]
            if target >= 0 { body(target) }
        }
    }
}

/// The compile-time tries of one set of rules, by selector.
private struct SelectorBuilders {
    var exact: [String: TopicTrieBuilder] = [:]
    var prefixes: [String: TopicTrieBuilder] = [:]
    var shared: [UserSelector: TopicTrieBuilder] = [:]

    mutating func insert(_ rule: ACLRule, index: Int32) {
        let builder: TopicTrieBuilder
        switch rule.selector {
        case .exact(let name): builder = exact[name] ?? TopicTrieBuilder(); exact[name] = builder
        case .prefix(let prefix): builder = prefixes[prefix] ?? TopicTrieBuilder(); prefixes[prefix] = builder
        default: builder = shared[rule.selector] ?? TopicTrieBuilder(); shared[rule.selector] = builder
        }
        builder.insertRule(rule.pattern.levels, permission: rule.permission, index: index)
    }

    /// Lays the tries out as the `index`th set of roots (0: the rules without `when:`).
    func add(to layout: inout TrieLayout, index: Int) -> CompiledACL.SelectorRoots {
        var roots = CompiledACL.SelectorRoots()
        func root(_ selector: UserSelector) -> Int32 {
            shared[selector].map { layout.add($0) } ?? TrieNode.none
        }
        roots.anyUser = root(.anyUser)
        roots.anonymous = root(.anonymous)
        roots.everyone = root(.everyone)
        roots.exactUserParent = TrieLayout.exactUserParent(index)
        roots.hasExactUsers = !exact.isEmpty
        for (name, builder) in exact {
            let child = layout.add(builder)
            layout.addEdge(parent: roots.exactUserParent, key: name.utf8, child: child)
        }
        roots.prefixRoot = layout.addPrefixes(prefixes)
        return roots
    }
}

extension CompiledACL {
    /// True if `user` is listed under `superusers`.
    package func isSuperuser(_ user: String) -> Bool {
        user.withBytes { isSuperuser($0) }
    }
}
