extension TopicFilter {
    /// True when some valid topic name matches both filters (MQTT matching, §7). Symmetric.
    ///
    /// `a/#` overlaps `a` and `a/+/x`; `users/+/x` overlaps `users/alice/#`; `#` does not
    /// overlap `$SYS/x`, which `$SYS/#` does; `/#` does not overlap `+`, as the one topic both
    /// match would be the empty string. This is the question the strict subscribe check
    /// asks of each deny rule (`CompiledACL.decide(…strictSubscribe:)`), through the same walk.
    ///
    /// Both filters must be valid, with literal levels that hold no `/`.
    package func overlaps(_ other: TopicFilter) -> Bool {
        let text = levels.map { level in
            switch level {
            case .plus: "+"
            case .hash: "#"
            case .literal(let literal): String(literal)
            }
        }.joined(separator: "/")
        return text.withBytes { FilterOverlap.exists(filter: $0, pattern: other) }
    }
}

/// A plain filter as the pattern side of an overlap question: no placeholders, so a literal
/// admits only itself.
extension TopicFilter: OverlapPattern {
    var levelCount: Int { levels.count }

    func level(_ index: Int) -> OverlapLevel {
        switch levels[index] {
        case .hash: .hash
        case .plus: .plus
        case .literal(let literal): .fixed(leadingDollar: literal.isDollarLevel, empty: literal.isEmpty)
        }
    }

    func admits(_ index: Int, _ level: UnsafeBufferPointer<UInt8>) -> Bool {
        guard case .literal(let literal) = levels[index] else { return false }
        return literal.utf8.elementsEqual(level)
    }
}
