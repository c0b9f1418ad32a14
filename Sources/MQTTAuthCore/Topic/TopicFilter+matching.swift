extension TopicFilter {
    /// MQTT topic matching, as Mosquitto's `mosquitto_topic_matches_sub` does it:
    /// `+` matches one level (possibly empty), `#` matches its parent and everything below,
    /// and neither matches a first level that starts with `$`.
    package func matches(_ topic: TopicName) -> Bool {
        let names = topic.levels
        if names[0].isDollarLevel, levels[0] == .plus || levels[0] == .hash { return false }
        for (index, level) in levels.enumerated() {
            switch level {
            case .hash:
                return true
            case .plus:
                guard index < names.count else { return false }
            case .literal(let literal):
                guard index < names.count, names[index] == literal else { return false }
            }
        }
        return names.count == levels.count
    }

    /// Filter subsumption: true when every topic `request` can match is also matched by `self`.
    ///
    /// `a/#` covers `a/+/b`; `a/+` does not cover `a/#` (which also matches `a/b/c`);
    /// a leading wildcard never covers a request that names a `$` topic.
    package func covers(_ request: TopicFilter) -> Bool {
        let asked = request.levels
        for (index, level) in levels.enumerated() {
            switch level {
            case .hash:
                if index == 0, case .literal(let first) = asked[0], first.isDollarLevel { return false }
                return true
            case .plus:
                guard index < asked.count else { return false }
                switch asked[index] {
                case .hash: return false
                case .plus: continue
                case .literal(let literal):
                    if index == 0, literal.isDollarLevel { return false }
                }
            case .literal(let literal):
                guard index < asked.count, asked[index] == .literal(literal) else { return false }
            }
        }
        return asked.count == levels.count
    }
}
