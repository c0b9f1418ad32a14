/// One level of the pattern side of an overlap question, as `FilterOverlap` needs to see it.
enum OverlapLevel {
    /// `#`: this level and everything below it, or nothing below its parent.
    case hash
    /// Any one level, possibly empty, but never a leading `$` level: a `+`, or a placeholder
    /// read as `+` because it has no usable value.
    case plus
    /// One or more fixed levels: a literal, or the usable values of a placeholder.
    /// `OverlapPattern.admits` tells which; `leadingDollar` is true when every one of them
    /// starts with `$` (so that a wildcard in a filter's first level cannot meet it), `empty`
    /// when the only one is the empty level.
    case fixed(leadingDollar: Bool, empty: Bool)
}

/// The pattern side of an overlap question: a plain filter, or a deny rule's pattern with the
/// user's values put in for its placeholders (`StrictDeny.Substituted`).
protocol OverlapPattern {
    var levelCount: Int { get }
    func level(_ index: Int) -> OverlapLevel
    /// For a `.fixed` level: true if it can be exactly `level`, a literal level of the filter.
    func admits(_ index: Int, _ level: UnsafeBufferPointer<UInt8>) -> Bool
}

/// Whether some topic name matches both a filter and a pattern, with MQTT matching (§7):
/// `+` one level, `#` the rest including nothing below its parent, and no wildcard in the
/// first level matching a topic whose first level starts with `$`.
///
/// Such a topic exists iff the two agree level by level: a literal meets an equal literal or a
/// wildcard, two wildcards meet at a fresh ordinary level, a `#` on either side meets whatever
/// the other has from there on, and neither may outlast the other without a `#`. Levels are
/// independent of each other, so one walk in step decides it, with no backtracking: the cost
/// is the shorter side's depth (times the values tried at a placeholder level).
///
/// One exception makes the topic's validity matter: a topic of one empty level is the empty
/// string, which is no topic. `/#` matches it (`#` matches its parent, the empty level) and so
/// does `+`, yet `/#` and `+` share no valid topic; the walk notes when the first level can
/// only be empty and refuses a common topic of that one level.
enum FilterOverlap {
    /// - Parameters:
    ///   - filter: a validated filter's bytes, without any `$share/<group>/` prefix.
    ///   - pattern: the other side; the answer does not depend on which side is which.
    static func exists(filter: UnsafeBufferPointer<UInt8>, pattern: some OverlapPattern) -> Bool {
        // The offset where the filter's next level starts; past the end when it has none left.
        var start = 0
        // The first level of a common topic can only be the empty one: then it must have more.
        var emptyFirst = false
        for index in 0..<pattern.levelCount {
            let first = index == 0
            let level = pattern.level(index)
            guard start <= filter.count else {
                // The filter's topics end here: only a `#` also matches a topic that ends here.
                if case .hash = level { return !(index == 1 && emptyFirst) }
                return false
            }
            var end = start
            while end < filter.count, filter[end] != TopicText.slash { end += 1 }
            let text = UnsafeBufferPointer(rebasing: filter[start..<end])
            let filterHash = text.count == 1 && text[0] == TopicText.hash
            let filterPlus = text.count == 1 && text[0] == TopicText.plus
            // A literal of the filter that starts with `$` in the first level: no wildcard meets it.
            let dollarLiteral = first && text.first == TopicText.dollar
            switch level {
            case .hash:
                return !dollarLiteral
            case .plus:
                if filterHash { return true }
                if dollarLiteral { return false }
            case .fixed(let leadingDollar, let empty):
                if filterHash { return !(first && leadingDollar) }
                if filterPlus {
                    if first, leadingDollar { return false }
                    if first { emptyFirst = empty }
                } else if !pattern.admits(index, text) {
                    return false
                }
            }
            if first, text.isEmpty { emptyFirst = true }
            start = end + 1
        }
        // The pattern's topics end here: the filter must end too, or go on with a `#` alone,
        // which also matches its parent.
        let filterEnds = start > filter.count || (filter.count - start == 1 && filter[start] == TopicText.hash)
        return filterEnds && !(pattern.levelCount == 1 && emptyFirst)
    }
}
