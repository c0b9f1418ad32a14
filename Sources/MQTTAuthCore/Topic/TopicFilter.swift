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
        try TopicText.checkCommon(text)
        var filterText = text
        if subscription, text.hasPrefix("$share/") {
            filterText = try Self.stripShare(text)
        }
        self.description = filterText
        self.levels = try Self.parseLevels(filterText)
    }

    package init(levels: [FilterLevel], description: String) {
        self.levels = levels
        self.description = description
    }

    private static func stripShare(_ text: String) throws(TopicError) -> String {
        let parts = text.utf8.split(separator: TopicText.slash, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[1].isEmpty, !parts[2].isEmpty else { throw .emptyShareGroup }
        if parts[1].contains(where: { $0 == TopicText.plus || $0 == TopicText.hash }) {
            throw .wildcardInShareGroup
        }
        return String(Substring(parts[2]))
    }

    private static func parseLevels(_ text: String) throws(TopicError) -> [FilterLevel] {
        let raw = TopicText.levels(text)
        var levels: [FilterLevel] = []
        levels.reserveCapacity(raw.count)
        for (index, level) in raw.enumerated() {
            switch level {
            case "+": levels.append(.plus)
            case "#":
                guard index == raw.count - 1 else { throw .hashNotLastLevel }
                levels.append(.hash)
            default:
                if level.utf8.contains(TopicText.plus) { throw .plusNotWholeLevel }
                if level.utf8.contains(TopicText.hash) { throw .hashNotLastLevel }
                levels.append(.literal(level))
            }
        }
        return levels
    }
}
