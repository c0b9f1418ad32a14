#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A YAML configuration file opened for reading: its root mapping's entries, and a reader that
/// collects every problem found while the caller reads them.
package struct ConfigDocument {
    package var reader: YAMLReader
    package let entries: [(key: String, keyNode: Node, value: Node)]
    /// The folder relative paths in the file are resolved against.
    package let folder: String

    /// Reads and parses `path`. A file that cannot be read or is not UTF-8 fails at once; YAML
    /// syntax errors are collected and end the document (it then has no entries).
    package static func open(_ path: String) throws(ConfigErrors) -> ConfigDocument {
        let text: String
        do {
            text = try TextFile.read(path, name: path)
        } catch {
            throw ConfigErrors([error])
        }
        var reader = YAMLReader(file: path)
        var entries: [(key: String, keyNode: Node, value: Node)] = []
        if let root = reader.compose(text) {
            entries = reader.mapping(root, "the configuration file") ?? []
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return ConfigDocument(reader: reader, entries: entries, folder: folder)
    }

    /// Resolves a path written in the file: absolute as is, otherwise against `folder`.
    package func resolve(_ path: String) -> String {
        let joined = path.hasPrefix("/") ? path : folder + "/" + path
        return URL(fileURLWithPath: joined).standardizedFileURL.path
    }

    /// Throws every problem found: the document's own in line order, then `others` (found in
    /// files the document names). Does nothing when there are none.
    package func finish(adding others: [ConfigDiagnostic] = []) throws(ConfigErrors) {
        // The reader finds some problems (unknown keys) before others above them.
        let byLine = reader.diagnostics.enumerated().sorted {
            ($0.element.location.line ?? 0, $0.offset) < ($1.element.location.line ?? 0, $1.offset)
        }
        let all = byLine.map(\.element) + others
        if !all.isEmpty { throw ConfigErrors(all) }
    }
}
