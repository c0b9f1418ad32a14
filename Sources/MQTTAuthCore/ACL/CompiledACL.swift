/// Superusers and rules compiled into one frozen trie. Build it with `init(superusers:rules:)`,
/// share it freely, and on reload build a new one and swap the reference.
///
/// A decision walks at most: the user's own trie, the `%` trie, the every-client trie and the
/// trie of each `prefix%` selector the username starts with. Each walk follows the request's
/// levels through hash-table edges, so the cost grows with the topic's depth, not with the
/// number of rules.
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
    /// For each node of the username-prefix byte trie, the topic trie of its selector, or -1.
    let prefixTargets: [Int32]
    let anyUserRoot: Int32
    let anonymousRoot: Int32
    let everyoneRoot: Int32

    package init(superusers: some Sequence<String>, rules: [ACLRule]) {
        precondition(rules.count < Int32.max, "rule indexes are stored as Int32")
        precondition(TrieLayout.sizesHold, "the trie's cell layout does not match the sizes of its node, edge and slot types")
        var exact: [String: TopicTrieBuilder] = [:]
        var prefixes: [String: TopicTrieBuilder] = [:]
        var shared: [UserSelector: TopicTrieBuilder] = [:]
        for (index, rule) in rules.enumerated() {
            let builder: TopicTrieBuilder
            switch rule.selector {
            case .exact(let name): builder = exact[name] ?? TopicTrieBuilder(); exact[name] = builder
            case .prefix(let prefix): builder = prefixes[prefix] ?? TopicTrieBuilder(); prefixes[prefix] = builder
            default: builder = shared[rule.selector] ?? TopicTrieBuilder(); shared[rule.selector] = builder
            }
            builder.insert(rule.pattern.levels[...], permission: rule.permission, index: Int32(index))
        }
        var layout = TrieLayout()
        func root(_ selector: UserSelector) -> Int32 {
            shared[selector].map { layout.add($0) } ?? TrieNode.none
        }
        self.anyUserRoot = root(.anyUser)
        self.anonymousRoot = root(.anonymous)
        self.everyoneRoot = root(.everyone)
        for (name, builder) in exact {
            let child = layout.add(builder)
            layout.addEdge(parent: TrieLayout.exactUserParent, key: name.utf8, child: child)
        }
        layout.addPrefixes(prefixes)
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
        self.rules = rules
    }

    func isSuperuser(_ user: UnsafeBufferPointer<UInt8>) -> Bool {
        superusers.child(of: 0, key: user) != TrieNode.none
    }

    /// Calls `body` with the root of each trie whose selector matches `user` (nil: no username).
    @inline(__always)
    func forEachRoot(for user: UnsafeBufferPointer<UInt8>?, _ body: (Int32) -> Void) {
        if everyoneRoot >= 0 { body(everyoneRoot) }
        guard let user else {
            if anonymousRoot >= 0 { body(anonymousRoot) }
            return
        }
        let own = edges.child(of: TrieLayout.exactUserParent, key: user)
        if own >= 0 { body(own) }
        if anyUserRoot >= 0 { body(anyUserRoot) }
        guard !prefixTargets.isEmpty else { return }
        var current = 0
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

extension CompiledACL {
    /// True if `user` is listed under `superusers`.
    package func isSuperuser(_ user: String) -> Bool {
        user.withBytes { isSuperuser($0) }
    }
}
