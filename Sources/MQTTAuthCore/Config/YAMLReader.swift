/// Reads typed values out of a composed YAML document and collects every problem with its line,
/// so that one pass reports all errors of a file.
package struct YAMLReader {
    package let file: String
    package private(set) var diagnostics: [ConfigDiagnostic] = []

    package init(file: String) {
        self.file = file
    }

    /// Parses `text` into a node tree; nil for an empty document.
    package mutating func compose(_ text: String) -> Node? {
        do {
            return try composeYAML(text)
        } catch {
            diagnostics.append(Self.diagnostic(for: error, file: file))
        }
        return nil
    }

    package func location(_ node: Node?) -> SourceLocation {
        SourceLocation(file: file, line: node?.mark?.line)
    }

    package mutating func error(_ node: Node?, _ message: String) {
        diagnostics.append(ConfigDiagnostic(location(node), message))
    }

    /// The entries of a mapping, in document order. Keys outside `allowed` are reported, by name
    /// and line, so that a typo is never silently ignored; pass nil to accept any key.
    package mutating func mapping(
        _ node: Node,
        _ what: String,
        allowed: Set<String>? = nil
    ) -> [(key: String, keyNode: Node, value: Node)]? {
        guard let mapping = node.mapping else {
            error(node, "\(what) must be a mapping")
            return nil
        }
        var entries: [(key: String, keyNode: Node, value: Node)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                error(keyNode, "keys in \(what) must be plain text")
                continue
            }
            if let allowed, !allowed.contains(key) {
                let known = allowed.sorted().joined(separator: ", ")
                error(keyNode, "unknown key '\(key.printable)' in \(what) (known keys: \(known))")
                continue
            }
            entries.append((key, keyNode, value))
        }
        return entries
    }

    package mutating func sequence(_ node: Node, _ what: String) -> [Node]? {
        guard let sequence = node.sequence else {
            error(node, "\(what) must be a list")
            return nil
        }
        return Array(sequence)
    }

    package mutating func string(_ node: Node, _ what: String) -> String? {
        guard let scalar = node.scalar else {
            error(node, "\(what) must be a single value, not a list or mapping")
            return nil
        }
        return scalar.string
    }

    package mutating func strings(_ node: Node, _ what: String) -> [String]? {
        guard let items = sequence(node, what) else { return nil }
        return items.compactMap { string($0, "each entry of \(what)") }
    }

    /// Turns a YAML error into `file:line: problem`.
    static func diagnostic(for error: YAMLError, file: String) -> ConfigDiagnostic {
        switch error.kind {
        case .syntax:
            var message = "YAML syntax error: \(error.problem)"
            if error.problem.contains("cannot start any token") {
                message += " (quote values that start with '%', '@' or '`', e.g. user: \"%\")"
            }
            return ConfigDiagnostic(file: file, line: error.mark?.line, message)
        case .duplicateKeys, .structure:
            return ConfigDiagnostic(file: file, line: error.mark?.line, error.problem)
        case .reader:
            return ConfigDiagnostic(file: file, line: nil, "YAML error: \(error.problem)")
        }
    }
}
