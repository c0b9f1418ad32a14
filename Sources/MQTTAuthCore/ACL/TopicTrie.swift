/// The rules that end at one trie position, folded for a fast verdict.
struct Terminal: Sendable {
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
}

/// A frozen trie over topic-pattern levels for one user selector.
///
/// Each node keeps the rules whose pattern ends exactly here (`atEnd`) and those whose pattern
/// continues with a final `#` (`below`, which also covers this node's own topic, as MQTT's `#`
/// matches its parent). Children are keyed by literal level, `+`, `%u` and `%c`.
/// Built once by `TopicTrieBuilder`, never mutated: safe to share across threads.
final class TopicTrie: Sendable {
    let literals: [Substring: TopicTrie]
    let plus: TopicTrie?
    let username: TopicTrie?
    let clientID: TopicTrie?
    let atEnd: Terminal?
    let below: Terminal?

    init(
        literals: [Substring: TopicTrie],
        plus: TopicTrie?,
        username: TopicTrie?,
        clientID: TopicTrie?,
        atEnd: Terminal?,
        below: Terminal?
    ) {
        self.literals = literals
        self.plus = plus
        self.username = username
        self.clientID = clientID
        self.atEnd = atEnd
        self.below = below
    }
}

/// The mutable form of `TopicTrie`, used only while compiling.
final class TopicTrieBuilder {
    private var literals: [Substring: TopicTrieBuilder] = [:]
    private var plus: TopicTrieBuilder?
    private var username: TopicTrieBuilder?
    private var clientID: TopicTrieBuilder?
    private var atEnd: Terminal?
    private var below: Terminal?

    func insert(_ levels: ArraySlice<PatternLevel>, permission: Permission, index: Int32) {
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
        case .literal(let literal):
            // A fresh String keeps the trie from holding on to the whole source text.
            Self.child(&literals[Substring(String(literal))]).insert(rest, permission: permission, index: index)
        }
    }

    private static func child(_ slot: inout TopicTrieBuilder?) -> TopicTrieBuilder {
        if let node = slot { return node }
        let node = TopicTrieBuilder()
        slot = node
        return node
    }

    func freeze() -> TopicTrie {
        TopicTrie(
            literals: literals.mapValues { $0.freeze() },
            plus: plus?.freeze(),
            username: username?.freeze(),
            clientID: clientID?.freeze(),
            atEnd: atEnd,
            below: below
        )
    }
}

extension Optional where Wrapped == Terminal {
    fileprivate mutating func add(_ permission: Permission, index: Int32) {
        var terminal = self ?? Terminal()
        terminal.add(permission, index: index)
        self = terminal
    }
}
