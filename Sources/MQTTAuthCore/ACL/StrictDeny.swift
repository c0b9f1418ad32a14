/// A deny rule's pattern, kept beside the trie for the strict subscribe check
/// (`CompiledACL.decide(…strictSubscribe:)`): the trie answers "which rules cover this filter",
/// while the strict check asks "which deny rules share a topic with it", a question the trie's
/// walk cannot answer, so each deny rule keeps its levels in this plain form.
struct StrictDeny: Sendable {
    /// One level, with literal bytes copied out and attribute names turned into the ids that
    /// `ResolvedAttributes` files values under.
    enum Level: Sendable {
        case literal([UInt8])
        case plus
        case hash
        case username
        case clientID
        /// `%{name}`; -1 if the name has no id, which reads as an attribute without values.
        case attribute(Int32)
    }

    /// The rule's index in `CompiledACL.rules`.
    let rule: Int32
    let levels: [Level]

    init(rule: Int32, pattern: TopicPattern, attributeIDs: [String: Int32]) {
        self.rule = rule
        self.levels = pattern.levels.map { level in
            switch level {
            case .literal(let literal): .literal(Array(literal.utf8))
            case .plus: .plus
            case .hash: .hash
            case .username: .username
            case .clientID: .clientID
            case .attribute(let name): .attribute(attributeIDs[name] ?? -1)
            }
        }
    }

    /// The pattern with one user's values in its placeholders. A placeholder with no usable
    /// value reads as `+`, so that a deny rule fails closed (docs/architecture.md §3.4, §3.6);
    /// one with several (an array attribute) stands for any of them.
    struct Substituted: OverlapPattern {
        let levels: [Level]
        /// The username and client id, or nil where they cannot be substituted.
        let username: UnsafeBufferPointer<UInt8>?
        let clientID: UnsafeBufferPointer<UInt8>?
        let attributes: ResolvedAttributes.Storage

        var levelCount: Int { levels.count }

        func level(_ index: Int) -> OverlapLevel {
            // Usable values are never empty and never start with `$` (`PlaceholderValue`).
            let value = OverlapLevel.fixed(leadingDollar: false, empty: false)
            return switch levels[index] {
            case .literal(let bytes): .fixed(leadingDollar: bytes.first == TopicText.dollar, empty: bytes.isEmpty)
            case .plus: .plus
            case .hash: .hash
            case .username: username == nil ? .plus : value
            case .clientID: clientID == nil ? .plus : value
            case .attribute(let id): attributes.values(of: id).isEmpty ? .plus : value
            }
        }

        func admits(_ index: Int, _ level: UnsafeBufferPointer<UInt8>) -> Bool {
            switch levels[index] {
            case .literal(let bytes): bytes.elementsEqual(level)
            case .username: username?.elementsEqual(level) ?? false
            case .clientID: clientID?.elementsEqual(level) ?? false
            case .attribute(let id): attributes.values(of: id).contains { attributes.value($0, equals: level) }
            case .plus, .hash: false
            }
        }
    }
}
