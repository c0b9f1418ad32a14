/// The rules that end at one trie position, while compiling.
struct TerminalBuilder {
    /// Access bits granted by the allow rules here.
    var allowMask: UInt8 = 0
    /// True if a deny rule ends here.
    var hasDeny = false
    /// Indexes into the compiled rule table, for explaining a decision.
    var rules: [Int32] = []

    mutating func add(_ permission: Permission, index: Int32) {
        allowMask |= permission.grantedMask
        hasDeny = hasDeny || permission == .deny
        rules.append(index)
    }

    /// The verdict bits stored in a frozen node: the allow mask, and `TrieNode.denyFlag`.
    var flags: UInt8 { allowMask | (hasDeny ? TrieNode.denyFlag : 0) }
}

/// A mutable trie over topic-pattern levels for one user selector, used only while compiling.
///
/// Each node keeps the rules whose pattern ends exactly here (`atEnd`) and those whose pattern
/// continues with a final `#` (`below`, which also covers this node's own topic, as MQTT's `#`
/// matches its parent). Children are keyed by literal level, `+`, `%u`, `%c` and `%{name}`.
final class TopicTrieBuilder {
    private(set) var literals: [Substring: TopicTrieBuilder] = [:]
    private(set) var plus: TopicTrieBuilder?
    private(set) var username: TopicTrieBuilder?
    private(set) var clientID: TopicTrieBuilder?
    /// `%{name}` children, by attribute name.
    private(set) var attributes: [String: TopicTrieBuilder] = [:]
    private(set) var atEnd: TerminalBuilder?
    private(set) var below: TerminalBuilder?
    /// The deny rules of the whole trie, in source order, kept at its root only (`insertRule`):
    /// the strict subscribe check looks them up by root (`CompiledACL.strictDenies`).
    private(set) var denyRules: [Int32] = []

    /// Adds a rule to the trie this builder is the root of.
    func insertRule(_ levels: [PatternLevel], permission: Permission, index: Int32) {
        if permission == .deny { denyRules.append(index) }
        insert(levels[...], permission: permission, index: index)
    }

    private func insert(_ levels: ArraySlice<PatternLevel>, permission: Permission, index: Int32) {
        guard let level = levels.first else {
            atEnd.add(permission, index: index)
            return
        }
        let rest = levels.dropFirst()
        switch level {
        case .hash:
            precondition(rest.isEmpty, "'#' is always the last level of a validated pattern")
            below.add(permission, index: index)
        case .plus:
            Self.child(&plus).insert(rest, permission: permission, index: index)
        case .username:
            Self.child(&username).insert(rest, permission: permission, index: index)
        case .clientID:
            Self.child(&clientID).insert(rest, permission: permission, index: index)
        case .attribute(let name):
            Self.child(&attributes[name]).insert(rest, permission: permission, index: index)
        case .literal(let literal):
            Self.child(&literals[literal]).insert(rest, permission: permission, index: index)
        }
    }

    private static func child(_ slot: inout TopicTrieBuilder?) -> TopicTrieBuilder {
        if let node = slot { return node }
        let node = TopicTrieBuilder()
        slot = node
        return node
    }
}

extension Optional where Wrapped == TerminalBuilder {
    fileprivate mutating func add(_ permission: Permission, index: Int32) {
        var terminal = self ?? TerminalBuilder()
        terminal.add(permission, index: index)
        self = terminal
    }
}
