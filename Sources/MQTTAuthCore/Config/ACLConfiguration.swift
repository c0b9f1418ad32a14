import Yams

/// The access-control part of the configuration file:
///
/// ```yaml
/// superusers: ["ops"]          # allowed everything
/// acl:
///   rules:                     # user: "%" | name | "prefix%"; topic: pattern; permission
///     - user: "%"
///       topic: "users/%u/#"
///       permission: pubsub     # publish|write, subscribe|read, pubsub|readwrite, deny
///   files:
///     - aclfile                # Mosquitto acl_file syntax, relative to the config's folder
/// ```
package struct ACLConfiguration: Sendable {
    package var superusers: [String] = []
    /// Rules from the config file, then from each acl file in the order listed.
    package var rules: [ACLRule] = []

    package init(superusers: [String] = [], rules: [ACLRule] = []) {
        self.superusers = superusers
        self.rules = rules
    }

    package func compile() -> CompiledACL {
        CompiledACL(superusers: superusers, rules: rules)
    }
}

extension ACLConfiguration {
    /// The top-level keys this type reads.
    package static let keys: Set<String> = ["superusers", "acl"]

    /// Loads the `superusers` and `acl` keys of the YAML file at `path`, and the acl files it names.
    /// Other top-level keys belong to the daemon and are left to it.
    ///
    /// - Throws: `ConfigErrors` with every problem found, each with its file and line.
    package static func load(path: String) throws(ConfigErrors) -> ACLConfiguration {
        var document = try ConfigDocument.open(path)
        let (configuration, aclFileDiagnostics) = read(&document)
        try document.finish(adding: aclFileDiagnostics)
        return configuration
    }

    /// Reads `superusers` and `acl` from an opened document. Problems in the document go to its
    /// reader; problems inside acl files, which name other files, are returned.
    package static func read(_ document: inout ConfigDocument) -> (ACLConfiguration, [ConfigDiagnostic]) {
        var configuration = ACLConfiguration()
        var diagnostics: [ConfigDiagnostic] = []
        for entry in document.entries {
            switch entry.key {
            case "superusers":
                configuration.superusers = document.reader.superusers(entry.value)
            case "acl":
                let (rules, fileDiagnostics) = document.reader.acl(entry.value, folder: document.folder)
                configuration.rules = rules
                diagnostics = fileDiagnostics
            default:
                break
            }
        }
        return (configuration, diagnostics)
    }
}

extension YAMLReader {
    package mutating func superusers(_ node: Node) -> [String] {
        guard let names = strings(node, "superusers") else { return [] }
        if names.contains(where: \.isEmpty) { error(node, "superusers holds an empty name") }
        return names.filter { !$0.isEmpty }
    }

    /// The `acl` mapping: config rules first, then each file's rules. Diagnostics of the acl
    /// files are returned apart, since they name other files.
    package mutating func acl(_ node: Node, folder: String) -> ([ACLRule], [ConfigDiagnostic]) {
        guard let entries = mapping(node, "acl", allowed: ["rules", "files"]) else { return ([], []) }
        var rules: [ACLRule] = []
        var fileRules: [ACLRule] = []
        var fileDiagnostics: [ConfigDiagnostic] = []
        for entry in entries {
            if entry.key == "rules" {
                rules += (sequence(entry.value, "acl.rules") ?? []).compactMap { rule($0) }
            } else if let items = sequence(entry.value, "acl.files") {
                for item in items {
                    guard let name = string(item, "each entry of acl.files") else { continue }
                    let parsed = aclFile(name, at: item, folder: folder)
                    fileRules += parsed.rules
                    fileDiagnostics += parsed.diagnostics
                }
            }
        }
        return (rules + fileRules, fileDiagnostics)
    }

    private mutating func aclFile(_ name: String, at node: Node, folder: String) -> ACLFileParser.Result {
        let path = name.hasPrefix("/") ? name : folder + "/" + name
        do {
            return ACLFileParser.parse(try TextFile.read(path, name: name), name: name)
        } catch where error.location.line == nil {
            self.error(node, "acl file '\(name.printable)': \(error.message)")
        } catch {
            var result = ACLFileParser.Result()
            result.diagnostics.append(error)
            return result
        }
        return ACLFileParser.Result()
    }

    /// One `{user, topic, permission}` entry of `acl.rules`.
    private mutating func rule(_ node: Node) -> ACLRule? {
        guard let entries = mapping(node, "an acl rule", allowed: ["user", "topic", "permission"]) else { return nil }
        var selector: UserSelector?
        var pattern: TopicPattern?
        var permission: Permission?
        var failed = false
        for entry in entries {
            guard let value = string(entry.value, entry.key) else {
                failed = true
                continue
            }
            do throws(RuleError) {
                switch entry.key {
                case "user": selector = try UserSelector(parsing: value)
                case "topic": pattern = try TopicPattern(parsing: value)
                default:
                    guard let parsed = Permission(name: value) else {
                        throw RuleError("unknown permission '\(value.printable)'; expected \(Permission.validNames)")
                    }
                    permission = parsed
                }
            } catch {
                self.error(entry.value, error.description)
                failed = true
            }
        }
        for (key, present) in [("user", selector != nil), ("topic", pattern != nil), ("permission", permission != nil)]
        where !present && !entries.contains(where: { $0.key == key }) {
            self.error(node, "acl rule is missing '\(key)'")
            failed = true
        }
        guard !failed, let selector, let pattern, let permission else { return nil }
        return ACLRule(selector: selector, pattern: pattern, permission: permission, source: location(node))
    }
}
