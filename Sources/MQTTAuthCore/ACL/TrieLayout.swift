/// Flattens compile-time tries into the node array and edge table of a `CompiledACL`.
struct TrieLayout {
    /// The edge parent that is not a node: the set keyed by whole usernames.
    static let exactUserParent: Int32 = -2

    private(set) var nodes: [TrieNode] = []
    private(set) var edges: [EdgeTable.Edge] = []
    private(set) var keys: [UInt8] = []
    /// For each node, the rules that end there.
    private(set) var rules: [NodeRules] = []
    /// The prefix byte trie's nodes: each one's topic trie, where a `prefix%` selector ends.
    private(set) var prefixTargets: [Int32] = []

    mutating func newNode() -> Int32 {
        nodes.append(TrieNode())
        rules.append(NodeRules())
        return Int32(nodes.count - 1)
    }

    /// Prefix-trie nodes are edge parents numbered below `prefixBase`, apart from topic nodes.
    static let prefixBase: Int32 = -16

    static func prefixParent(_ index: Int) -> Int32 { prefixBase - Int32(index) }

    mutating func addEdge(parent: Int32, key: some Collection<UInt8>, child: Int32) {
        edges.append(EdgeTable.Edge(parent: parent, keyStart: keys.count, keyCount: key.count, child: child))
        keys.append(contentsOf: key)
        if parent >= 0 { nodes[Int(parent)].hasLiterals = true }
    }

    /// Adds `builder` and everything below it, depth first so that a path's nodes sit close
    /// together. Returns the index of its root.
    mutating func add(_ builder: TopicTrieBuilder) -> Int32 {
        let id = newNode()
        if let atEnd = builder.atEnd {
            rules[Int(id)].atEnd = atEnd.rules
            nodes[Int(id)].atEndFlags = atEnd.flags
        }
        if let below = builder.below {
            rules[Int(id)].below = below.rules
            nodes[Int(id)].belowFlags = below.flags
        }
        // Each child is added before it is linked: `add` grows `nodes`.
        if let plus = builder.plus {
            let child = add(plus)
            nodes[Int(id)].plus = child
        }
        if let username = builder.username {
            let child = add(username)
            nodes[Int(id)].username = child
        }
        if let clientID = builder.clientID {
            let child = add(clientID)
            nodes[Int(id)].clientID = child
        }
        for (literal, builderChild) in builder.literals {
            let child = add(builderChild)
            addEdge(parent: id, key: literal.utf8, child: child)
        }
        return id
    }

    /// Adds the byte trie of `prefix%` selectors; its root is `prefixParent(0)`.
    mutating func addPrefixes(_ tries: [String: TopicTrieBuilder]) {
        guard !tries.isEmpty else { return }
        prefixTargets = [TrieNode.none]
        var children: [Int: [UInt8: Int]] = [:]
        for (prefix, builder) in tries {
            var current = 0
            for byte in prefix.utf8 {
                if let next = children[current]?[byte] {
                    current = next
                } else {
                    prefixTargets.append(TrieNode.none)
                    let next = prefixTargets.count - 1
                    children[current, default: [:]][byte] = next
                    addEdge(parent: Self.prefixParent(current), key: CollectionOfOne(byte), child: Int32(next))
                    current = next
                }
            }
            let target = add(builder)
            prefixTargets[current] = target
        }
    }
}
