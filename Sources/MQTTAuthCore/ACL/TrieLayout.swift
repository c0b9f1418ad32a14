/// Flattens compile-time tries into the cells, edge table and key arena of a `CompiledACL`.
package struct TrieLayout {
    /// The edge parent that is not a node: the set keyed by whole usernames, of the rules
    /// without `when:`.
    static let exactUserParent: Int32 = -2

    /// The exact-username parent of the `index`th set of conditional roots (0: unconditional).
    /// Conditional ones count up from `Int32.min`, far below any prefix-trie parent.
    static func exactUserParent(_ index: Int) -> Int32 {
        index == 0 ? exactUserParent : Int32.min + Int32(index)
    }
    /// Prefix-trie nodes are edge parents numbered below `prefixBase`, apart from topic nodes.
    static let prefixBase: Int32 = -16

    static func prefixParent(_ index: Int) -> Int32 { prefixBase - Int32(index) }

    private(set) var cells: [TrieCell] = []
    /// Edges kept in the hash table: literal edges of nodes with many children, usernames and
    /// username-prefix bytes.
    private(set) var edges: [EdgeTable.Edge] = []
    /// The bytes of every key, hashed or inline.
    private(set) var keys: [UInt8] = []
    /// The rules that end at each node that has any.
    private(set) var explanations: [Int32: NodeRules] = [:]
    /// The prefix byte tries' nodes: each one's topic trie, where a `prefix%` selector ends.
    private(set) var prefixTargets: [Int32] = []
    /// Attribute names in `%{name}` levels, numbered as `AttributeEdge.attribute`.
    private(set) var attributeIDs: [String: Int32] = [:]
    /// The deny rules of each trie that has any, by root id (`TopicTrieBuilder.denyRules`).
    private(set) var denyRules: [Int32: [Int32]] = [:]

    mutating func addEdge(parent: Int32, key: some Collection<UInt8>, child: Int32) {
        edges.append(EdgeTable.Edge(parent: parent, keyStart: keys.count, keyCount: key.count, child: child))
        keys.append(contentsOf: key)
    }

    /// Adds `builder` and everything below it, depth first: a node, its inline edges, its
    /// `%{name}` edges, then its children's subtrees, so that a path's nodes sit close together.
    /// Returns the root's id.
    mutating func add(_ builder: TopicTrieBuilder) -> Int32 {
        let literals = builder.literals.sorted { $0.key < $1.key }
        let inline = literals.count <= TrieNode.maxInlineEdges
        let id = Int32(cells.count)
        let inlineCells = inline ? 2 * literals.count : 0
        // Two `AttributeEdge`s to a cell, the run ended by one with attribute -1.
        let attributeCells = builder.attributes.isEmpty ? 0 : (builder.attributes.count + 2) / 2
        cells.append(contentsOf: repeatElement(TrieCell(), count: 1 + inlineCells + attributeCells))

        var node = TrieNode()
        node.inlineEdges = inline ? UInt8(literals.count) : 0
        node.options = inline ? 0 : TrieNode.hashedEdgesBit
        var rules = NodeRules()
        if let atEnd = builder.atEnd {
            rules.atEnd = atEnd.rules
            node.atEndFlags = atEnd.flags
        }
        if let below = builder.below {
            rules.below = below.rules
            node.belowFlags = below.flags
        }
        if builder.atEnd != nil || builder.below != nil { explanations[id] = rules }
        if !builder.denyRules.isEmpty { denyRules[id] = builder.denyRules }
        node.plus = builder.plus.map { add($0) } ?? TrieNode.none
        node.username = builder.username.map { add($0) } ?? TrieNode.none
        node.clientID = builder.clientID.map { add($0) } ?? TrieNode.none
        if !builder.attributes.isEmpty {
            node.options |= TrieNode.attributeEdgesBit
            let children = builder.attributes.sorted { $0.key < $1.key }.map { name, child in
                AttributeEdge(attribute: attributeID(name), child: add(child))
            }
            let first = (Int(id) + 1 + inlineCells) * MemoryLayout<TrieCell>.stride
            for (index, edge) in (children + [AttributeEdge(attribute: -1, child: TrieNode.none)]).enumerated() {
                cells.withUnsafeMutableBytes {
                    $0.storeBytes(of: edge, toByteOffset: first + index * MemoryLayout<AttributeEdge>.stride, as: AttributeEdge.self)
                }
            }
        }
        store(node, at: Int(id))

        for (index, (literal, child)) in literals.enumerated() {
            let childID = add(child)
            if inline {
                store(inlineEdge(literal.utf8, child: childID), at: Int(id) + 1 + 2 * index)
            } else {
                addEdge(parent: id, key: literal.utf8, child: childID)
            }
        }
        return id
    }

    private mutating func inlineEdge(_ key: Substring.UTF8View, child: Int32) -> InlineEdge {
        let start = keys.count
        keys.append(contentsOf: key)
        let words = keys.withUnsafeBufferPointer { KeyWords(UnsafeBufferPointer(rebasing: $0[start...])) }
        return InlineEdge(
            word0: words.word0,
            word1: words.word1,
            keyCount: UInt32(key.count),
            child: child,
            keyStart: UInt32(start)
        )
    }

    private mutating func store<T>(_ value: T, at cell: Int) {
        cells.withUnsafeMutableBytes { $0.storeBytes(of: value, toByteOffset: cell * MemoryLayout<TrieCell>.stride, as: T.self) }
    }

    private mutating func attributeID(_ name: String) -> Int32 {
        if let id = attributeIDs[name] { return id }
        let id = Int32(attributeIDs.count)
        attributeIDs[name] = id
        return id
    }

    /// Adds a byte trie of `prefix%` selectors and returns its root, an index of `prefixTargets`
    /// whose edges hang from `prefixParent(root)`; -1 when there are none.
    mutating func addPrefixes(_ tries: [String: TopicTrieBuilder]) -> Int {
        guard !tries.isEmpty else { return -1 }
        let root = prefixTargets.count
        prefixTargets.append(TrieNode.none)
        var children: [Int: [UInt8: Int]] = [:]
        for (prefix, builder) in tries {
            var current = root
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
        return root
    }
}

extension TrieLayout {
    /// The sizes the byte offsets of `TrieCells.node`, `TrieCells.edge(of:_:)`,
    /// `TrieCells.attributeEdge(of:after:_:)` and the edge table assume: 16-byte cells, a node
    /// within one cell, an inline edge in two, two attribute edges to a cell, 32-byte slots.
    /// A field added to any of them must keep these, or the offsets must change with it;
    /// `CompiledACL.init` refuses to build a trie when they do not hold.
    package static var sizesHold: Bool {
        MemoryLayout<TrieCell>.size == 16 && MemoryLayout<TrieCell>.stride == 16
            && MemoryLayout<TrieNode>.size <= 16 && MemoryLayout<TrieNode>.alignment <= MemoryLayout<TrieCell>.alignment
            && MemoryLayout<InlineEdge>.size == 32 && MemoryLayout<InlineEdge>.alignment <= MemoryLayout<TrieCell>.alignment
            && EdgeTable.slotSize == 32
            && MemoryLayout<AttributeEdge>.stride == 8
    }
}
