/// Which clients a rule applies to.
package enum UserSelector: Sendable, Hashable, CustomStringConvertible {
    /// `%`: every client with a username.
    case anyUser
    /// `alice`: exactly that username.
    case exact(String)
    /// `agent-%`: every username that starts with `agent-`.
    case prefix(String)
    /// acl_file `topic` lines before the first `user` line: clients without a username.
    case anonymous
    /// acl_file `pattern` lines: every client, with or without a username.
    case everyone

    /// Parses the config spelling: `%`, `name` or `prefix%`.
    package init(parsing text: String) throws(RuleError) {
        if text.isEmpty { throw RuleError("user selector is empty") }
        if text == "%" {
            self = .anyUser
            return
        }
        let percents = text.utf8.filter { $0 == UInt8(ascii: "%") }.count
        if percents == 0 {
            self = .exact(text)
        } else if percents == 1, text.hasSuffix("%") {
            self = .prefix(String(text.dropLast()))
        } else {
            throw RuleError("user selector '\(text)' may hold '%' only once, at the end ('%', 'name' or 'prefix%')")
        }
    }

    package func matches(_ user: String?) -> Bool {
        switch self {
        case .anyUser: user != nil
        case .exact(let name): user == name
        case .prefix(let prefix): user?.utf8.starts(with: prefix.utf8) ?? false
        case .anonymous: user == nil
        case .everyone: true
        }
    }

    package var description: String {
        switch self {
        case .anyUser: "%"
        case .exact(let name): name
        case .prefix(let prefix): prefix + "%"
        case .anonymous: "(anonymous)"
        case .everyone: "(every client)"
        }
    }
}
