
/// The access-control part of the configuration file:
///
/// ```yaml
/// superusers: ["ops"]          # allowed everything
/// acl:
///   rules:                     # user: "%" | name | "prefix%"; topic: pattern; permission
///     - user: "%"
///       topic: "users/%u/#"
///       permission: pubsub     # publish|write, subscribe|read, pubsub|readwrite, deny
///     - user: "%"
///       topic: "orgs/%{org}/#" # %{name}: a user attribute, declared by a provider
///       permission: pubsub
///       when: {roles: admin}   # optional: attribute name → value; all must hold
///   files:
///     - aclfile                # Mosquitto acl_file syntax, relative to the config's folder
/// ```
package struct ACLConfiguration: Sendable {
    package var superusers: [String] = []
    /// Rules from the config file, then from each acl file in the order listed.
    package var rules: [ACLRule] = []
    /// The attribute names rules may use in `%{name}` and `when:`: the keys of every
    /// `providers[].attributes` mapping of the same document.
    package var declaredAttributes: Set<String> = []

    package init(superusers: [String] = [], rules: [ACLRule] = [], declaredAttributes: Set<String> = []) {
        self.superusers = superusers
        self.rules = rules
        self.declaredAttributes = declaredAttributes
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
        configuration.declaredAttributes = declaredAttributes(document.entries.first { $0.key == "providers" }?.value)
        for entry in document.entries {
            switch entry.key {
            case "superusers":
                configuration.superusers = document.reader.superusers(entry.value)
            case "acl":
                let (rules, fileDiagnostics) = document.reader.acl(
                    entry.value,
                    folder: document.folder,
                    declaredAttributes: configuration.declaredAttributes
                )
                configuration.rules = rules
                diagnostics = fileDiagnostics
            default:
                break
            }
        }
        return (configuration, diagnostics)
    }

    /// The keys of each `providers[].attributes` mapping. Everything else under `providers`,
    /// and any problem with its shape, is the daemon's to read and report.
    static func declaredAttributes(_ providers: Node?) -> Set<String> {
        var names: Set<String> = []
        for provider in providers?.sequence ?? [] {
            guard let attributes = provider.mapping?["attributes"]?.mapping else { continue }
            for (key, _) in attributes {
                if let name = key.scalar?.string { names.insert(name) }
            }
        }
        return names
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
    /// `declaredAttributes` are the names rules may use in `%{name}` and `when:`.
    package mutating func acl(_ node: Node, folder: String, declaredAttributes: Set<String> = []) -> ([ACLRule], [ConfigDiagnostic]) {
        guard let entries = mapping(node, "acl", allowed: ["rules", "files"]) else { return ([], []) }
        var rules: [ACLRule] = []
        var fileRules: [ACLRule] = []
        var fileDiagnostics: [ConfigDiagnostic] = []
        for entry in entries {
            if entry.key == "rules" {
                rules += (sequence(entry.value, "acl.rules") ?? []).compactMap { rule($0, declaredAttributes: declaredAttributes) }
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

    /// One `{user, topic, permission, when}` entry of `acl.rules`.
    private mutating func rule(_ node: Node, declaredAttributes: Set<String>) -> ACLRule? {
        guard let entries = mapping(node, "an acl rule", allowed: ["user", "topic", "permission", "when"]) else { return nil }
        var selector: UserSelector?
        var pattern: TopicPattern?
        var permission: Permission?
        var conditions: [AttributeCondition] = []
        var failed = false
        for entry in entries {
            if entry.key == "when" {
                guard let parsed = when(entry.value, declaredAttributes: declaredAttributes) else {
                    failed = true
                    continue
                }
                conditions = parsed
                continue
            }
            guard let value = string(entry.value, entry.key) else {
                failed = true
                continue
            }
            do throws(RuleError) {
                switch entry.key {
                case "user": selector = try UserSelector(parsing: value)
                case "topic":
                    let parsed = try TopicPattern(parsing: value)
                    if let name = parsed.attributeNames.subtracting(declaredAttributes).sorted().first {
                        throw Self.undeclared(name)
                    }
                    pattern = parsed
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
        return ACLRule(selector: selector, pattern: pattern, permission: permission, conditions: conditions, source: location(node))
    }

    /// A rule's `when:` mapping: attribute name → one string value, each name declared.
    private mutating func when(_ node: Node, declaredAttributes: Set<String>) -> [AttributeCondition]? {
        guard let entries = mapping(node, "when") else { return nil }
        if entries.isEmpty {
            error(node, "when holds no condition; give attribute: value, or leave it out")
            return nil
        }
        var conditions: [AttributeCondition] = []
        var failed = false
        for entry in entries {
            if !AttributeName.isValid(entry.key) {
                error(entry.keyNode, "'\(entry.key.printable)' in when is not an attribute name ([a-z_][a-z0-9_]*)")
                failed = true
            } else if !declaredAttributes.contains(entry.key) {
                error(entry.keyNode, Self.undeclared(entry.key).description)
                failed = true
            }
            guard let value = string(entry.value, "when.\(entry.key)") else {
                failed = true
                continue
            }
            conditions.append(AttributeCondition(name: entry.key, value: value))
        }
        return failed ? nil : conditions
    }

    private static func undeclared(_ name: String) -> RuleError {
        RuleError("attribute '\(name.printable)' is not declared: add it to the attributes of a provider")
    }
}
