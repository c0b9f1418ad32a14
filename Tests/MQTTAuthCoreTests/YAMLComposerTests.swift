import Foundation
@testable import MQTTAuthCore
import Testing

/// The YAML composer over libyaml (docs/footprint.md, "Why not Yams"): what the config readers
/// rely on, its limits, and a differential test against PyYAML's pure-Python composer, an
/// implementation that shares no code with libyaml.
@Suite("YAML composer")
struct YAMLComposerTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardizedFileURL

    @Test func composesMappingsSequencesAndScalarsWithTheirLines() throws {
        let root = try #require(try composeYAML("a: 1\nb:\n  - x\n  - 'y z'\nc: {d: \"e\\u00e9\"}\n"))
        let mapping = try #require(root.mapping)
        #expect(mapping.map { $0.key.scalar?.string } == ["a", "b", "c"])
        #expect(mapping["a"]?.scalar?.string == "1")
        #expect(mapping["b"]?.sequence?.map { $0.scalar?.string } == ["x", "y z"])
        #expect(mapping["b"]?.sequence?.map { $0.mark?.line } == [3, 4])
        #expect(mapping["c"]?.mapping?["d"]?.scalar?.string == "eé")
        #expect(mapping["c"]?.mark?.line == 5)
        #expect(mapping["missing"] == nil)
    }

    @Test func anEmptyStreamHasNoDocument() throws {
        #expect(try composeYAML("") == nil)
        #expect(try composeYAML("# only a comment\n") == nil)
    }

    @Test func aliasesAreTheirAnchorsNodes() throws {
        let root = try #require(try composeYAML("base: &b {user: ops}\ncopy: *b\n"))
        #expect(root.mapping?["copy"]?.mapping?["user"]?.scalar?.string == "ops")
    }

    @Test func refusesWhatTheReadersMustNotSee() {
        let cases: [(text: String, kind: YAMLError.Kind, problem: String, line: Int?)] = [
            ("a: *nowhere\n", .structure, "found undefined alias 'nowhere'", 1),
            ("a: 1\nb: 2\na: 3\n", .duplicateKeys, "duplicate keys: a", 3),
            ("a: 1\n---\nb: 2\n", .structure, "expected a single document in the stream, but found another document", 2),
            ("a: [1, 2\n", .syntax, "did not find expected ',' or ']'", 2),
        ]
        for item in cases {
            do {
                _ = try composeYAML(item.text)
                Issue.record("\(item.text.debugDescription) composed")
            } catch {
                #expect(error.kind == item.kind, "\(item.text.debugDescription)")
                #expect(error.problem == item.problem, "\(item.text.debugDescription)")
                #expect(error.mark?.line == item.line, "\(item.text.debugDescription)")
            }
        }
    }

    @Test func boundsNestingAndAliasExpansion() {
        let deep = String(repeating: "[", count: YAMLComposer.maxDepth + 1) + String(repeating: "]", count: YAMLComposer.maxDepth + 1)
        #expect(throws: YAMLError.self) { try composeYAML(deep) }
        // Ten levels of ten aliases each: 10^10 nodes once expanded.
        var bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...10 {
            let previous = "*a\(level - 1)"
            bomb += "a\(level): &a\(level) [\(Array(repeating: previous, count: 10).joined(separator: ", "))]\n"
        }
        do {
            _ = try composeYAML(bomb)
            Issue.record("the alias bomb composed")
        } catch {
            #expect(error.problem.contains("more than \(YAMLComposer.maxWeight) nodes"))
        }
    }

    /// The same tree and lines as PyYAML's pure-Python composer, for the repository's own YAML
    /// files and for documents that exercise quoting, folding, flow style, tags and anchors.
    @Test func agreesWithPyYAML() throws {
        let files = ["mqtt-authd.example.yml", "packaging/mqtt-authd.yml", "docs/openapi.yaml"]
            .map { Self.repository.appendingPathComponent($0).path }
        let documents = [
            "plain: multi\n  line plain\nliteral: |\n  keep\n   this\nfolded: >\n  folded\n  text\n\n  para\n",
            "single: 'it''s'\ndouble: \"tab\\there \\x41 \\u263A\"\nempty: ''\nnull: ~\nnothing:\n",
            "---\nflow: {a: [1, 2, {b: c}], 'd': e}\ntagged: !!str 5\nkey with spaces: v # comment\n...\n",
            "- &x {name: a}\n- *x\n- [*x, *x]\n- ? complex key\n  : value\n",
        ]
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("yaml-differential-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var paths = files
        for (index, document) in documents.enumerated() {
            let path = folder.appendingPathComponent("\(index).yml").path
            try Data(document.utf8).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        for path in paths {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let ours = try composeYAML(text).map(Self.outline) ?? []
            let theirs = try Self.pyYAMLOutline(path)
            #expect(ours.count > 2, "\(path)")
            #expect(ours == theirs, "\(path): first difference at \(Array(zip(ours, theirs)).firstIndex { $0.0 != $0.1 } ?? min(ours.count, theirs.count))")
        }
    }

    /// One line per node in document order: kind, line, and a scalar's UTF-8 bytes in hex.
    static func outline(_ node: Node) -> [String] {
        let line = node.mark?.line ?? 0
        switch node.content {
        case .scalar(let scalar):
            return ["S \(line) " + scalar.string.utf8.map { String($0, radix: 16) }.joined(separator: ".")]
        case .sequence(let items):
            return ["Q \(line) \(items.count)"] + items.flatMap(outline)
        case .mapping(let mapping):
            return ["M \(line) \(mapping.entries.count)"] + mapping.entries.flatMap { outline($0.key) + outline($0.value) }
        }
    }

    static func pyYAMLOutline(_ path: String) throws -> [String] {
        let script = """
            import sys, yaml
            def outline(node):
                line = node.start_mark.line + 1
                if isinstance(node, yaml.ScalarNode):
                    return ["S %d %s" % (line, ".".join("%x" % b for b in node.value.encode("utf-8")))]
                if isinstance(node, yaml.SequenceNode):
                    return ["Q %d %d" % (line, len(node.value))] + [l for item in node.value for l in outline(item)]
                return ["M %d %d" % (line, len(node.value))] + [l for k, v in node.value for l in outline(k) + outline(v)]
            with open(sys.argv[1], encoding="utf-8") as f:
                root = yaml.compose(f, Loader=yaml.SafeLoader)
            print("\\n".join(outline(root) if root is not None else []))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "PyYAML failed on \(path) (is python3-yaml installed?)")
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
