import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The central policy as JSON: what `GET /v2/policy` serves and the plugin's `synced` mode
/// compiles (README "One policy for every broker"). It holds the superusers and every rule,
/// acl files already resolved:
///
/// ```json
/// {"version": "<64 hex digits>",
///  "superusers": ["ops"],
///  "rules": [{"user": "%", "topic": "users/%u/#", "permission": "pubsub"},
///            {"clients": "anonymous", "topic": "public/#", "permission": "subscribe"},
///            {"clients": "all", "topic": "devices/%c/in", "permission": "subscribe"},
///            {"user": "%", "topic": "orgs/%{org}/#", "permission": "pubsub", "when": {"roles": "admin"}}]}
/// ```
///
/// `user` takes the config's selectors (`%`, a name, `prefix%`); `clients` stands for the two
/// acl-file forms without one (`topic` lines of no user: anonymous clients; `pattern` lines:
/// every client); an acl-file `topic` line holds no placeholder, so its topic reads the same
/// either way. `when` is present only for rules with conditions, so a policy without
/// attributes reads, and hashes, as it did before they existed. `version` is the SHA-256 of the document without it, written with sorted keys,
/// so that daemons with the same rules serve the same version whatever their file names.
package enum ACLPolicy {
    struct Document: Codable {
        var version: String?
        var superusers: [String]
        var rules: [Rule]
    }

    struct Rule: Codable {
        var user: String?
        var clients: String?
        var topic: String
        var permission: String
        /// Attribute name → value; nil (left out) for a rule without conditions.
        var when: [String: String]?
    }

    /// The policy's version and its JSON text.
    package static func encode(_ configuration: ACLConfiguration) -> (version: String, body: Data) {
        let rules = configuration.rules.map { rule -> Rule in
            var encoded = Rule(topic: rule.pattern.description, permission: rule.permission.description)
            if !rule.conditions.isEmpty {
                encoded.when = Dictionary(rule.conditions.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
            }
            switch rule.selector {
            case .anyUser, .exact, .prefix: encoded.user = rule.selector.description
            case .anonymous: encoded.clients = "anonymous"
            case .everyone: encoded.clients = "all"
            }
            return encoded
        }
        var document = Document(superusers: configuration.superusers, rules: rules)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings and booleans cannot fail.
        let unversioned = (try? encoder.encode(document)) ?? Data()
        let version = Hex.string(SHA256.hash(data: unversioned))
        document.version = version
        return (version, (try? encoder.encode(document)) ?? Data())
    }

    /// Reads a policy back, checking every rule as the config loader would.
    ///
    /// - Throws: `RuleError` naming the first problem: not a policy document, a version that
    ///   does not match the content, an unknown selector or permission, an invalid topic.
    package static func decode(_ data: Data) throws(RuleError) -> (version: String, configuration: ACLConfiguration) {
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch {
            throw RuleError("the policy is not a JSON policy document")
        }
        var rules: [ACLRule] = []
        for (index, rule) in document.rules.enumerated() {
            let source = SourceLocation(file: "policy rule \(index + 1)", line: nil)
            let selector: UserSelector
            switch (rule.user, rule.clients) {
            case (let user?, nil): selector = try UserSelector(parsing: user)
            case (nil, "anonymous"): selector = .anonymous
            case (nil, "all"): selector = .everyone
            default: throw RuleError("\(source): needs either user or clients (anonymous or all)")
            }
            guard let permission = Permission(name: rule.permission) else {
                throw RuleError("\(source): unknown permission '\(rule.permission.printable)'")
            }
            let pattern = try TopicPattern(parsing: rule.topic)
            var conditions: [AttributeCondition] = []
            if let when = rule.when {
                if when.isEmpty { throw RuleError("\(source): when holds no condition") }
                for (name, value) in when {
                    guard AttributeName.isValid(name) else {
                        throw RuleError("\(source): '\(name.printable)' in when is not an attribute name")
                    }
                    conditions.append(AttributeCondition(name: name, value: value))
                }
            }
            rules.append(ACLRule(selector: selector, pattern: pattern, permission: permission, conditions: conditions, source: source))
        }
        if document.superusers.contains(where: \.isEmpty) { throw RuleError("the policy names an empty superuser") }
        let configuration = ACLConfiguration(superusers: document.superusers, rules: rules)
        let (version, _) = encode(configuration)
        guard document.version == version else {
            throw RuleError("the policy's version does not match its content")
        }
        return (version, configuration)
    }
}
