/// One level of a rule's topic pattern.
package enum PatternLevel: Sendable, Hashable {
    case literal(Substring)
    case plus
    case hash
    /// `%u`: the username, when it is a valid level.
    case username
    /// `%c`: the client id, when it is a valid level.
    case clientID
    /// `%{name}`: any usable value of the user's attribute `name` (docs/architecture.md §3).
    case attribute(String)
}

/// A rule's topic: an MQTT filter in which a whole level may be `%u`, `%c` or `%{name}`.
package struct TopicPattern: Sendable, Hashable, CustomStringConvertible {
    package let levels: [PatternLevel]
    package let description: String

    /// Deeper patterns are refused: they are never meant, and the compiled trie recurses per level.
    package static let maxLevels = 1000

    /// Parses and validates a pattern. `placeholders: false` is for acl_file `topic` lines,
    /// where Mosquitto substitutes nothing; `attributes: false` is for every acl_file line, as
    /// `%{name}` belongs to `acl.rules` only.
    package init(parsing text: String, placeholders: Bool = true, attributes: Bool = true) throws(RuleError) {
        if text.hasPrefix("$share/") {
            throw RuleError("topic '\(text)' names a shared subscription; rules name the filter itself")
        }
        let filter: TopicFilter
        do {
            filter = try TopicFilter(text)
        } catch {
            throw RuleError("invalid topic '\(text.printable)': \(error)")
        }
        if filter.levels.count > Self.maxLevels {
            throw RuleError("topic '\(text.printable)' has \(filter.levels.count) levels; rules allow at most \(Self.maxLevels)")
        }
        var levels: [PatternLevel] = []
        levels.reserveCapacity(filter.levels.count)
        for level in filter.levels {
            switch level {
            case .plus: levels.append(.plus)
            case .hash: levels.append(.hash)
            case .literal(let literal):
                levels.append(try Self.literalOrPlaceholder(literal, in: text, placeholders: placeholders, attributes: attributes))
            }
        }
        self.levels = levels
        self.description = text
    }

    private static func literalOrPlaceholder(
        _ literal: Substring,
        in text: String,
        placeholders: Bool,
        attributes: Bool
    ) throws(RuleError) -> PatternLevel {
        if literal.contains("%{") {
            if !attributes {
                throw RuleError("topic '\(text.printable)': attribute placeholders are for acl.rules only")
            }
            guard literal.hasPrefix("%{"), literal.hasSuffix("}"), literal.count >= 3 else {
                throw RuleError("topic '\(text.printable)': an attribute placeholder must be a whole level '%{name}', not part of '\(String(literal).printable)'")
            }
            let name = literal.dropFirst(2).dropLast()
            guard AttributeName.isValid(name) else {
                throw RuleError("topic '\(text.printable)': '\(String(name).printable)' is not an attribute name ([a-z_][a-z0-9_]*)")
            }
            return .attribute(String(name))
        }
        let isPlaceholder = literal == "%u" || literal == "%c"
        let holdsPlaceholder = literal.contains("%u") || literal.contains("%c")
        if isPlaceholder, placeholders {
            return literal == "%u" ? .username : .clientID
        }
        if holdsPlaceholder {
            if !placeholders {
                throw RuleError("topic '\(text)' holds a placeholder; acl_file 'topic' lines take none, use 'pattern'")
            }
            throw RuleError("topic '\(text)': a placeholder must be a whole level, not part of '\(literal)'")
        }
        return .literal(literal)
    }

    package var hasPlaceholder: Bool {
        levels.contains { $0 == .username || $0 == .clientID }
    }

    /// The attribute names of its `%{name}` levels.
    package var attributeNames: Set<String> {
        Set(levels.compactMap { if case .attribute(let name) = $0 { name } else { nil } })
    }
}

/// The placeholder safety rule (docs/architecture.md §3): `%u`/`%c` only stand for a value
/// that is one valid, ordinary topic level.
package enum PlaceholderValue {
    /// A value substitutes only if it is non-empty and holds no `/`, `+`, `#` or NUL.
    /// A value starting with `$` never substitutes either, so `%c/#` cannot reach `$SYS`.
    package static func isSubstitutable(_ value: String?) -> Bool {
        guard let value else { return false }
        return value.withBytes { isSubstitutable($0) }
    }

    static func isSubstitutable(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first, first != TopicText.dollar else { return false }
        return !bytes.contains { $0 == TopicText.slash || $0 == TopicText.plus || $0 == TopicText.hash || $0 == 0 }
    }
}
