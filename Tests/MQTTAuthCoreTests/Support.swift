import MQTTAuthCore
import TestSupport

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
