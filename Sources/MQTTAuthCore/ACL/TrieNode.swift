/// One node of the frozen trie, 16 bytes: only what a decision reads on its way down.
/// Child fields hold node ids, -1 for none.
///
/// Nodes live in one buffer of 16-byte cells (`TrieCells`), laid out depth first. A node with a
/// few literal children keeps their edges in the cells right after it (`inlineEdges`), so that
/// following a path reads memory that sits together; a node with many keeps them in the
/// `EdgeTable` (`hashedEdges`). The rules behind the flags are in `CompiledACL.explanations`.
struct TrieNode {
    static let none: Int32 = -1
    /// Set in `atEndFlags`/`belowFlags` when a deny rule ends there; the low bits are the
    /// access mask granted by the allow rules that end there.
    static let denyFlag: UInt8 = 0x80
    /// Nodes with more literal children than this keep them in the hash table.
    static let maxInlineEdges = 6

    var plus = none
    var username = none
    var clientID = none
    /// Rules whose pattern ends at this node.
    var atEndFlags: UInt8 = 0
    /// Rules whose pattern ends with a `#` just below this node.
    var belowFlags: UInt8 = 0
    /// How many `InlineEdge`s follow the node (two cells each).
    var inlineEdges: UInt8 = 0
    /// `hashedEdgesBit`, `attributeEdgesBit`.
    var options: UInt8 = 0

    /// The literal children are in the `EdgeTable`.
    static let hashedEdgesBit: UInt8 = 1
    /// The node has `%{name}` children: their `AttributeEdge`s follow its inline edges in the
    /// cells, two to a cell, ended by one with attribute -1.
    static let attributeEdgesBit: UInt8 = 2

    var hashedEdges: Bool { options & Self.hashedEdgesBit != 0 }
    var hasAttributeEdges: Bool { options & Self.attributeEdgesBit != 0 }
    var hasAtEnd: Bool { atEndFlags != 0 }
    var hasBelow: Bool { belowFlags != 0 }
}

/// A literal edge stored beside its parent node: 32 bytes, two cells.
struct InlineEdge {
    /// The key's first 16 bytes, zero-padded (`KeyWords`).
    var word0: UInt64
    var word1: UInt64
    var keyCount: UInt32
    var child: Int32
    /// For a key over 16 bytes: where the whole key starts in the key arena.
    var keyStart: UInt32
    var reserved: UInt32 = 0
}

/// One `%{name}` child of a node, 8 bytes; a node's run of them ends with `attribute == -1`.
struct AttributeEdge {
    /// Index into `CompiledACL.attributeNames`, or -1 at the end of a run.
    var attribute: Int32
    var child: Int32
}

/// A 16-byte unit of the node buffer.
struct TrieCell {
    var low: UInt64 = 0
    var high: UInt64 = 0
}

extension UnsafeBufferPointer where Element == TrieCell {
    @inline(__always)
    func node(_ id: Int32) -> TrieNode {
        UnsafeRawPointer(baseAddress!).load(fromByteOffset: Int(id) &* 16, as: TrieNode.self)
    }

    /// The `index`th inline edge of node `id`.
    @inline(__always)
    func edge(of id: Int32, _ index: Int) -> InlineEdge {
        UnsafeRawPointer(baseAddress!).load(fromByteOffset: (Int(id) &+ 1 &+ 2 &* index) &* 16, as: InlineEdge.self)
    }

    /// The `index`th `%{name}` edge of node `id`, which has `inlineEdges` inline edges.
    @inline(__always)
    func attributeEdge(of id: Int32, after inlineEdges: UInt8, _ index: Int) -> AttributeEdge {
        let first = (Int(id) &+ 1 &+ 2 &* Int(inlineEdges)) &* 16
        return UnsafeRawPointer(baseAddress!).load(fromByteOffset: first &+ index &* 8, as: AttributeEdge.self)
    }
}

/// Which rules end at a node, for explaining a decision: indexes into `CompiledACL.rules`.
struct NodeRules {
    var atEnd: [Int32] = []
    var below: [Int32] = []
}
