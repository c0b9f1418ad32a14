/// Parses Mosquitto `acl_file` syntax into rules.
///
/// - `user NAME` starts a block; `topic` lines after it belong to NAME.
/// - `topic [read|write|readwrite|deny] TOPIC`: before any `user` line it applies to clients
///   without a username. `read` means subscribe and receive. No access word means `readwrite`;
///   then the topic is one word, as in Mosquitto.
///   Mosquitto substitutes nothing in `topic` lines, so a placeholder there is an error.
/// - `pattern [read|write|readwrite|deny] TOPIC`: every client; `%u` and `%c` as whole levels.
///   Attribute placeholders (`%{name}`) belong to `acl.rules` only and are an error here.
/// - Blank lines and lines starting with `#` are skipped. A topic is the rest of its line.
package enum ACLFileParser {
    package struct Result: Sendable {
        package var rules: [ACLRule] = []
        package var diagnostics: [ConfigDiagnostic] = []
    }

    /// Parses `text`; `name` is how rules and errors name the file (`aclfile:3`).
    package static func parse(_ text: String, name: String) -> Result {
        var result = Result()
        var user: String?
        for (offset, rawLine) in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let location = SourceLocation(file: name, line: offset + 1)
            let line = Substring(rawLine).trimmingASCIISpace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            let (keyword, rest) = line.splitFirstWord()
            do throws(RuleError) {
                switch keyword {
                case "user":
                    guard !rest.isEmpty else { throw RuleError("'user' needs a username") }
                    user = String(rest)
                case "topic":
                    let selector: UserSelector = user.map { .exact($0) } ?? .anonymous
                    result.rules.append(try rule(rest, selector: selector, placeholders: false, at: location))
                case "pattern":
                    result.rules.append(try rule(rest, selector: .everyone, placeholders: true, at: location))
                default:
                    throw RuleError("unknown directive '\(String(keyword).printable)'; expected user, topic or pattern")
                }
            } catch {
                result.diagnostics.append(ConfigDiagnostic(location, error.description))
            }
        }
        return result
    }

    private static func rule(
        _ text: Substring,
        selector: UserSelector,
        placeholders: Bool,
        at location: SourceLocation
    ) throws(RuleError) -> ACLRule {
        let (word, rest) = text.splitFirstWord()
        guard !word.isEmpty else { throw RuleError("missing topic") }
        // As in Mosquitto: a lone word is the topic, with readwrite access; otherwise the first
        // word must be the access and the rest of the line is the topic.
        var permission = Permission.pubsub
        var topic = word
        if !rest.isEmpty {
            switch word {
            case "read": permission = .subscribe
            case "write": permission = .publish
            case "readwrite": permission = .pubsub
            case "deny": permission = .deny
            default:
                throw RuleError("invalid access '\(String(word).printable)'; expected read, write, readwrite or deny")
            }
            topic = rest
        }
        let pattern = try TopicPattern(parsing: String(topic), placeholders: placeholders, attributes: false)
        return ACLRule(selector: selector, pattern: pattern, permission: permission, source: location)
    }
}

extension Substring {
    /// Without leading and trailing spaces, tabs and carriage returns.
    func trimmingASCIISpace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return self[endIndex...] }
        let end = lastIndex(where: { !isSpace($0) })!
        return self[start...end]
    }

    /// The first space-separated word and the trimmed rest of the line.
    func splitFirstWord() -> (word: Substring, rest: Substring) {
        guard let space = firstIndex(where: { $0 == " " || $0 == "\t" }) else {
            return (self, self[endIndex...])
        }
        return (self[..<space], self[space...].trimmingASCIISpace())
    }
}
