/// Superusers and rules compiled into tries, frozen. Build it with `init(superusers:rules:)`,
/// share it freely, and on reload build a new one and swap the reference.
///
/// A decision walks at most: the user's own trie, the `%` trie, the every-client trie and the
/// trie of each `prefix%` selector the username starts with. Each walk follows the request's
/// levels, so the cost grows with the topic's depth, not with the number of rules.
package struct CompiledACL: Sendable {
    package let superusers: Set<String>
    /// Every rule, in source order; tries refer to rules by index.
    package let rules: [ACLRule]

    private let exact: [String: TopicTrie]
    private let anyUser: TopicTrie?
    private let anonymous: TopicTrie?
    private let everyone: TopicTrie?
    private let prefixes: PrefixIndex

    package init(superusers: some Sequence<String>, rules: [ACLRule]) {
        precondition(rules.count < Int32.max, "rule indexes are stored as Int32")
        var exact: [String: TopicTrieBuilder] = [:]
        var prefixes: [String: TopicTrieBuilder] = [:]
        let anyUser = TopicTrieBuilder()
        let anonymous = TopicTrieBuilder()
        let everyone = TopicTrieBuilder()
        for (index, rule) in rules.enumerated() {
            let builder: TopicTrieBuilder
            switch rule.selector {
            case .anyUser: builder = anyUser
            case .anonymous: builder = anonymous
            case .everyone: builder = everyone
            case .exact(let name): builder = exact[name, default: TopicTrieBuilder()]
            case .prefix(let prefix): builder = prefixes[prefix, default: TopicTrieBuilder()]
            }
            switch rule.selector {
            case .exact(let name): exact[name] = builder
            case .prefix(let prefix): prefixes[prefix] = builder
            default: break
            }
            builder.insert(rule.pattern.levels[...], permission: rule.permission, index: Int32(index))
        }
        func used(_ selector: UserSelector, _ builder: TopicTrieBuilder) -> TopicTrie? {
            rules.contains { $0.selector == selector } ? builder.freeze() : nil
        }
        self.superusers = Set(superusers)
        self.rules = rules
        self.exact = exact.mapValues { $0.freeze() }
        self.anyUser = used(.anyUser, anyUser)
        self.anonymous = used(.anonymous, anonymous)
        self.everyone = used(.everyone, everyone)
        self.prefixes = PrefixIndex(prefixes.mapValues { $0.freeze() })
    }

    /// Calls `body` with each trie whose selector matches `user` (nil: no username).
    func forEachTrie(for user: String?, _ body: (TopicTrie) -> Void) {
        if let everyone { body(everyone) }
        guard let user else {
            if let anonymous { body(anonymous) }
            return
        }
        if let own = exact[user] { body(own) }
        if let anyUser { body(anyUser) }
        if !prefixes.isEmpty { prefixes.forEachMatch(user, body) }
    }
}
