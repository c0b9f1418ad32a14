/// One level of a subscription filter.
package enum FilterLevel: Sendable, Hashable {
    case literal(Substring)
    /// `+`: exactly one level, possibly empty.
    case plus
    /// `#`: this level and everything below it, including the parent itself.
    case hash
}

/// A subscription filter: UTF-8, 1–65535 bytes, no NUL, `+` only as a whole level,
/// `#` only as the whole last level.
package struct TopicFilter: Sendable, Hashable, CustomStringConvertible {
    package let levels: [FilterLevel]
    package let description: String

    /// Validates `text` as a filter. With `subscription: true` a leading `$share/<group>/` is
    /// removed first, because a shared subscription is checked as the filter it shares.
    package init(_ text: String, subscription: Bool = false) throws(TopicError) {
        let start = try text.withBytes { bytes throws(TopicError) in
            try TopicText.validateFilter(bytes, subscription: subscription)
        }
        let filterText = text.utf8.dropFirst(start)
        self.description = String(Substring(filterText))
        self.levels = TopicText.levels(Substring(filterText)).map { level in
            switch level {
            case "+": .plus
            case "#": .hash
            default: .literal(level)
            }
        }
    }

    package init(levels: [FilterLevel], description: String) {
        self.levels = levels
        self.description = description
    }
}
