/// One node of the frozen trie, 16 bytes: only what a decision reads on its way down.
/// Child fields hold node indexes, -1 for none. Literal children are not here: they are edges
/// in the `EdgeTable`. The rules behind a node's flags are in `CompiledACL.explanations`.
struct TrieNode {
    static let none: Int32 = -1
    /// Set in `atEndFlags`/`belowFlags` when a deny rule ends there; the low bits are the
    /// access mask granted by the allow rules that end there.
    static let denyFlag: UInt8 = 0x80

    var plus = none
    var username = none
    var clientID = none
    /// Rules whose pattern ends at this node.
    var atEndFlags: UInt8 = 0
    /// Rules whose pattern ends with a `#` just below this node.
    var belowFlags: UInt8 = 0
    var hasLiterals = false

    var hasAtEnd: Bool { atEndFlags != 0 }
    var hasBelow: Bool { belowFlags != 0 }
}

/// Which rules end at a node, for explaining a decision: indexes into `CompiledACL.rules`.
struct NodeRules {
    var atEnd: [Int32] = []
    var below: [Int32] = []
}
