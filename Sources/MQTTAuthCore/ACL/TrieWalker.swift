/// One decision's walk over the frozen trie, on the request's UTF-8 bytes: no allocation
/// unless an explanation is wanted.
///
/// A level is addressed by the byte offset where it starts; an offset past the end means the
/// request has no more levels (`a/` has two levels, the second one empty).
struct TrieWalker {
    private let edges: EdgeTable
    private let cells: UnsafeBufferPointer<TrieCell>
    private let keys: UnsafeBufferPointer<UInt8>
    /// The topic or filter, without any `$share/<group>/` prefix.
    private let text: UnsafeBufferPointer<UInt8>
    private let leadingDollar: Bool
    /// The username and client id, or nil where the value cannot be substituted for a placeholder.
    private let username: UnsafeBufferPointer<UInt8>?
    private let clientID: UnsafeBufferPointer<UInt8>?
    /// The user's attributes resolved against this trie, for `%{name}` levels.
    private let attributes: ResolvedAttributes.Storage
    private let accessBit: UInt8
    /// When false the walk only needs the verdict and stops at the first deny.
    private let collect: Bool

    private(set) var allowed = false
    private(set) var denied = false
    /// The nodes whose rules decided, when collecting: `below` tells which of its rule lists.
    private(set) var found: [(node: Int32, below: Bool)] = []

    init(
        acl: CompiledACL,
        text: UnsafeBufferPointer<UInt8>,
        username: UnsafeBufferPointer<UInt8>?,
        clientID: UnsafeBufferPointer<UInt8>?,
        attributes: ResolvedAttributes,
        access: Access,
        collect: Bool
    ) {
        self.edges = acl.edges
        self.attributes = attributes.storage
        self.cells = acl.cells.elements
        self.keys = acl.keys.elements
        self.text = text
        self.leadingDollar = text.first == TopicText.dollar
        self.username = username.flatMap { PlaceholderValue.isSubstitutable($0) ? $0 : nil }
        self.clientID = clientID.flatMap { PlaceholderValue.isSubstitutable($0) ? $0 : nil }
        self.accessBit = access.rawValue
        self.collect = collect
    }

    /// Records a terminal. Below an unsubstitutable placeholder (`denyOnly`), only deny rules
    /// apply: such a placeholder never grants, but still forbids.
    @inline(__always)
    private mutating func visit(_ flags: UInt8, _ node: Int32, below: Bool, denyOnly: Bool) {
        let denies = flags & TrieNode.denyFlag != 0
        let grants = !denyOnly && flags & accessBit != 0
        if denies { denied = true }
        if grants { allowed = true }
        if collect, denies || grants { found.append((node, below)) }
    }

    /// Visits the rules that end at `node` for a request whose next level starts at `start`:
    /// a `#` below the node covers the rest of the request (unless the request's first level
    /// is a `$` level); the node's own rules cover a request with no levels left.
    /// Returns false when the request has no levels left.
    @inline(__always)
    private mutating func visitEnds(_ node: TrieNode, _ id: Int32, at start: Int, dollarLevel: Bool, denyOnly: Bool) -> Bool {
        if node.hasBelow, !dollarLevel { visit(node.belowFlags, id, below: true, denyOnly: denyOnly) }
        guard start <= text.count else {
            if node.hasAtEnd { visit(node.atEndFlags, id, below: false, denyOnly: denyOnly) }
            return false
        }
        return true
    }

    @inline(__always)
    private func levelEnd(from start: Int) -> Int {
        var end = start
        while end < text.count, text[end] != TopicText.slash { end += 1 }
        return end
    }

    /// The child of node `id` along the literal level `start..<end`, or -1.
    @inline(__always)
    private func literalChild(_ node: TrieNode, _ id: Int32, _ start: Int, _ end: Int) -> Int32 {
        let level = UnsafeBufferPointer(rebasing: text[start..<end])
        if node.hashedEdges { return edges.child(of: id, key: level) }
        guard node.inlineEdges > 0 else { return TrieNode.none }
        let words = KeyWords(level)
        for index in 0..<Int(node.inlineEdges) {
            let edge = cells.edge(of: id, index)
            guard edge.keyCount == level.count, edge.word0 == words.word0, edge.word1 == words.word1 else { continue }
            if level.count <= 16 { return edge.child }
            let stored = UnsafeBufferPointer(rebasing: keys[Int(edge.keyStart)..<Int(edge.keyStart) + level.count])
            if stored.elementsEqual(level) { return edge.child }
        }
        return TrieNode.none
    }

    /// Publish and read: visits every rule whose pattern matches the topic, with MQTT matching.
    mutating func match(_ id: Int32, at start: Int, denyOnly: Bool) {
        if denied, !collect { return }
        let node = cells.node(id)
        let dollarLevel = start == 0 && leadingDollar
        guard visitEnds(node, id, at: start, dollarLevel: dollarLevel, denyOnly: denyOnly) else { return }
        let end = levelEnd(from: start)
        let child = literalChild(node, id, start, end)
        if child >= 0 { match(child, at: end + 1, denyOnly: denyOnly) }
        // `+`, `#` and placeholders never match a leading `$` level (a substitutable value is
        // never `$`-led, see `PlaceholderValue`).
        if dollarLevel { return }
        if node.plus >= 0 { match(node.plus, at: end + 1, denyOnly: denyOnly) }
        if node.username >= 0 {
            placeholder(username, node.username, start, end, denyOnly) { $0.match($1, at: $2, denyOnly: $3) }
        }
        if node.clientID >= 0 {
            placeholder(clientID, node.clientID, start, end, denyOnly) { $0.match($1, at: $2, denyOnly: $3) }
        }
        if node.hasAttributeEdges {
            attributeLevels(node, id, start, end, plusLevel: false, denyOnly) { $0.match($1, at: $2, denyOnly: $3) }
        }
    }

    /// Subscribe: visits every rule whose pattern covers the requested filter (subsumption).
    mutating func cover(_ id: Int32, at start: Int, denyOnly: Bool) {
        if denied, !collect { return }
        let node = cells.node(id)
        let dollarLevel = start == 0 && leadingDollar
        guard visitEnds(node, id, at: start, dollarLevel: dollarLevel, denyOnly: denyOnly) else { return }
        let end = levelEnd(from: start)
        if end - start == 1, text[start] == TopicText.hash {
            // Only a `#` at the same depth covers a `#`; it was visited above.
            return
        }
        if end - start == 1, text[start] == TopicText.plus {
            if node.plus >= 0 { cover(node.plus, at: end + 1, denyOnly: denyOnly) }
            // A substituted value is one fixed level and cannot cover `+`; an unsubstitutable
            // placeholder is read as `+` for deny rules, which does.
            if node.username >= 0, username == nil { cover(node.username, at: end + 1, denyOnly: true) }
            if node.clientID >= 0, clientID == nil { cover(node.clientID, at: end + 1, denyOnly: true) }
            if node.hasAttributeEdges {
                attributeLevels(node, id, start, end, plusLevel: true, denyOnly) { $0.cover($1, at: $2, denyOnly: $3) }
            }
            return
        }
        let child = literalChild(node, id, start, end)
        if child >= 0 { cover(child, at: end + 1, denyOnly: denyOnly) }
        if dollarLevel { return }
        if node.plus >= 0 { cover(node.plus, at: end + 1, denyOnly: denyOnly) }
        if node.username >= 0 {
            placeholder(username, node.username, start, end, denyOnly) { $0.cover($1, at: $2, denyOnly: $3) }
        }
        if node.clientID >= 0 {
            placeholder(clientID, node.clientID, start, end, denyOnly) { $0.cover($1, at: $2, denyOnly: $3) }
        }
        if node.hasAttributeEdges {
            attributeLevels(node, id, start, end, plusLevel: false, denyOnly) { $0.cover($1, at: $2, denyOnly: $3) }
        }
    }

    /// Continues below each `%{name}` child of node `id`: the node's run of attribute edges sits
    /// in its own cells, so only the names used at this node are tried. A usable value equal to
    /// the level matches it; with no usable value the level is read as `+` for deny rules only.
    /// A `+` in a filter (`plusLevel`) is covered only by that reading, never by a value.
    private mutating func attributeLevels(
        _ node: TrieNode,
        _ id: Int32,
        _ start: Int,
        _ end: Int,
        plusLevel: Bool,
        _ denyOnly: Bool,
        _ next: (inout TrieWalker, Int32, Int, Bool) -> Void
    ) {
        let level = UnsafeBufferPointer(rebasing: text[start..<end])
        var index = 0
        while true {
            let edge = cells.attributeEdge(of: id, after: node.inlineEdges, index)
            guard edge.attribute >= 0 else { return }
            index += 1
            let values = attributes.values(of: edge.attribute)
            if values.isEmpty {
                next(&self, edge.child, end + 1, true)
                continue
            }
            if plusLevel { continue }
            if values.contains(where: { attributes.value($0, equals: level) }) { next(&self, edge.child, end + 1, denyOnly) }
        }
    }

    /// Continues below a `%u`/`%c` level: a substitutable value matches the level it equals;
    /// without one, the level is read as `+` for deny rules only.
    @inline(__always)
    private mutating func placeholder(
        _ value: UnsafeBufferPointer<UInt8>?,
        _ child: Int32,
        _ start: Int,
        _ end: Int,
        _ denyOnly: Bool,
        _ next: (inout TrieWalker, Int32, Int, Bool) -> Void
    ) {
        guard let value else {
            next(&self, child, end + 1, true)
            return
        }
        if value.count == end - start, value.elementsEqual(UnsafeBufferPointer(rebasing: text[start..<end])) {
            next(&self, child, end + 1, denyOnly)
        }
    }
}
