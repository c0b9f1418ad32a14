import MQTTAuthCore

/// Builds a rule the way the config loader does, located at `test:<line>`.
func rule(_ user: String, _ topic: String, _ permission: Permission, line: Int = 1) throws -> ACLRule {
    ACLRule(
        selector: try UserSelector(parsing: user),
        pattern: try TopicPattern(parsing: topic),
        permission: permission,
        source: SourceLocation(file: "test", line: line)
    )
}

/// Compiles `(user, topic, permission)` triples, numbering their lines from 1.
func compile(_ rules: [(String, String, Permission)], superusers: [String] = []) throws -> CompiledACL {
    let built = try rules.enumerated().map { try rule($1.0, $1.1, $1.2, line: $0 + 1) }
    return CompiledACL(superusers: superusers, rules: built)
}

extension CompiledACL {
    func allows(_ user: String?, _ topic: String, _ access: Access, clientID: String? = "client-1") -> Bool {
        let verdict = isAllowed(user: user, clientID: clientID, topic: topic, access: access)
        let explained = decide(user: user, clientID: clientID, topic: topic, access: access)
        precondition(verdict == explained.isAllowed, "isAllowed and decide disagree on \(topic)")
        return verdict
    }
}

/// SplitMix64: a small seedable generator, so generated cases are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
