/// What a walk over the tries has found so far for one request.
struct WalkState {
    /// The username and client id, or nil where the value cannot be substituted for a placeholder.
    let username: String?
    let clientID: String?
    let accessBit: UInt8
    /// When false the walk only needs the verdict and stops at the first deny.
    let collect: Bool

    private(set) var allowed = false
    private(set) var denied = false
    private(set) var terminals: [Terminal] = []

    init(username: String?, clientID: String?, access: Access, collect: Bool) {
        self.username = PlaceholderValue.isSubstitutable(username) ? username : nil
        self.clientID = PlaceholderValue.isSubstitutable(clientID) ? clientID : nil
        self.accessBit = access.rawValue
        self.collect = collect
    }

    /// True once nothing found later can change the verdict.
    var isSettled: Bool { denied && !collect }

    /// Records the rules of `terminal`. Below an unsubstitutable placeholder (`denyOnly`),
    /// only deny rules apply: such a placeholder never grants, but still forbids.
    mutating func visit(_ terminal: Terminal, denyOnly: Bool) {
        let grants = !denyOnly && terminal.allowMask & accessBit != 0
        if terminal.hasDeny { denied = true }
        if grants { allowed = true }
        if collect, terminal.hasDeny || grants {
            terminals.append(terminal)
        }
    }
}

extension TopicTrie {
    /// Publish and read: visits every rule whose pattern matches `topic` with MQTT matching.
    func match(_ topic: [Substring], at index: Int, denyOnly: Bool, _ state: inout WalkState) {
        if state.isSettled { return }
        let leadingDollar = index == 0 && topic[0].isDollarLevel
        if let below, !leadingDollar {
            state.visit(below, denyOnly: denyOnly)
        }
        guard index < topic.count else {
            if let atEnd { state.visit(atEnd, denyOnly: denyOnly) }
            return
        }
        let level = topic[index]
        literals[level]?.match(topic, at: index + 1, denyOnly: denyOnly, &state)
        if leadingDollar { 
            // `+`, `#` and placeholders never match a leading `$` level, except a substituted
            // value, which is never `$`-led (see `PlaceholderValue`).
            return
        }
        plus?.match(topic, at: index + 1, denyOnly: denyOnly, &state)
        if let username {
            username.matchPlaceholder(state.username, topic, at: index, denyOnly: denyOnly, &state)
        }
        if let clientID {
            clientID.matchPlaceholder(state.clientID, topic, at: index, denyOnly: denyOnly, &state)
        }
    }

    /// Continues a match below a `%u`/`%c` level: a substitutable value is a literal level;
    /// without one, the level is read as `+` for deny rules only.
    private func matchPlaceholder(
        _ value: String?,
        _ topic: [Substring],
        at index: Int,
        denyOnly: Bool,
        _ state: inout WalkState
    ) {
        if let value {
            if topic[index] == value {
                match(topic, at: index + 1, denyOnly: denyOnly, &state)
            }
        } else {
            match(topic, at: index + 1, denyOnly: true, &state)
        }
    }

    /// Subscribe: visits every rule whose pattern covers the requested filter (subsumption).
    func cover(_ filter: [FilterLevel], at index: Int, denyOnly: Bool, _ state: inout WalkState) {
        if state.isSettled { return }
        var leadingDollar = false
        if index == 0, case .literal(let first) = filter[0], first.isDollarLevel {
            leadingDollar = true
        }
        if let below, !leadingDollar {
            state.visit(below, denyOnly: denyOnly)
        }
        guard index < filter.count else {
            if let atEnd { state.visit(atEnd, denyOnly: denyOnly) }
            return
        }
        switch filter[index] {
        case .hash:
            // Only a `#` at the same depth covers a `#`; it was visited above.
            return
        case .plus:
            plus?.cover(filter, at: index + 1, denyOnly: denyOnly, &state)
            // A substituted value is one fixed level and cannot cover `+`; an unsubstitutable
            // placeholder is read as `+` for deny rules, which does.
            if state.username == nil { username?.cover(filter, at: index + 1, denyOnly: true, &state) }
            if state.clientID == nil { clientID?.cover(filter, at: index + 1, denyOnly: true, &state) }
        case .literal(let level):
            literals[level]?.cover(filter, at: index + 1, denyOnly: denyOnly, &state)
            if leadingDollar { return }
            plus?.cover(filter, at: index + 1, denyOnly: denyOnly, &state)
            if let username {
                username.coverPlaceholder(state.username, level, filter, at: index, denyOnly: denyOnly, &state)
            }
            if let clientID {
                clientID.coverPlaceholder(state.clientID, level, filter, at: index, denyOnly: denyOnly, &state)
            }
        }
    }

    private func coverPlaceholder(
        _ value: String?,
        _ level: Substring,
        _ filter: [FilterLevel],
        at index: Int,
        denyOnly: Bool,
        _ state: inout WalkState
    ) {
        if let value {
            if level == value {
                cover(filter, at: index + 1, denyOnly: denyOnly, &state)
            }
        } else {
            cover(filter, at: index + 1, denyOnly: true, &state)
        }
    }
}
