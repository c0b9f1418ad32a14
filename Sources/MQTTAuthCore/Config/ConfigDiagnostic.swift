/// One configuration error: the file, the line and what is wrong.
package struct ConfigDiagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    package let location: SourceLocation
    package let message: String

    package init(_ location: SourceLocation, _ message: String) {
        self.location = location
        self.message = message
    }

    package init(file: String, line: Int?, _ message: String) {
        self.init(SourceLocation(file: file, line: line), message)
    }

    /// `mqtt-authd.yml:14: unknown permission 'pubsbu' ...`
    package var description: String { "\(location): \(message)" }
}

/// Every error found while loading a configuration, in file order. Loaders report them all,
/// not just the first, so that one `--lint` run shows everything to fix.
package struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    package let diagnostics: [ConfigDiagnostic]

    package init(_ diagnostics: [ConfigDiagnostic]) {
        precondition(!diagnostics.isEmpty, "ConfigErrors holds at least one diagnostic")
        self.diagnostics = diagnostics
    }

    package var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
