import CYAML

// The YAML layer of the configuration loaders: libyaml (Debian's libyaml-0-2) parses, and this
// file composes its events into a tree of nodes that remember their lines. It is all the config
// readers need, and it keeps Foundation out of every product that reads YAML
// (docs/footprint.md, "Why not Yams").

/// Where a node starts in its file, 1-based.
package struct Mark: Sendable, Equatable {
    package let line: Int
    package let column: Int
}

/// A scalar's text, exactly as written (after YAML's quoting and folding). The config readers
/// decide themselves what a value means; nothing here turns "yes" into true.
package struct Scalar: Sendable {
    package let string: String
}

/// A mapping's entries, in document order.
package struct Mapping: Sendable, Sequence {
    package let entries: [(key: Node, value: Node)]

    package func makeIterator() -> IndexingIterator<[(key: Node, value: Node)]> {
        entries.makeIterator()
    }

    /// The value of the first entry whose key is the scalar `key`.
    package subscript(key: String) -> Node? {
        entries.first { $0.key.scalar?.string == key }?.value
    }
}

/// One node of a composed document. Aliases are resolved: an alias is its anchor's node.
package struct Node: Sendable {
    package enum Content: Sendable {
        case scalar(Scalar)
        case mapping(Mapping)
        case sequence([Node])
    }

    package let content: Content
    package let mark: Mark?
    /// Nodes in this subtree, aliases counted as what they expand to: the bound on alias bombs.
    let weight: Int

    package var scalar: Scalar? {
        if case .scalar(let scalar) = content { return scalar }
        return nil
    }

    package var mapping: Mapping? {
        if case .mapping(let mapping) = content { return mapping }
        return nil
    }

    package var sequence: [Node]? {
        if case .sequence(let items) = content { return items }
        return nil
    }
}

/// Why a document could not be composed, with the line where libyaml or the composer found it.
package struct YAMLError: Error, Sendable, CustomStringConvertible {
    package enum Kind: Sendable {
        /// libyaml's reader: the bytes are not text it can read.
        case reader
        /// libyaml's scanner or parser: the text is not YAML.
        case syntax
        /// The composer: keys repeated in one mapping.
        case duplicateKeys
        /// The composer: an undefined alias, a second document, nesting or aliases beyond the limits.
        case structure
    }

    package let kind: Kind
    package let problem: String
    package let mark: Mark?

    package var description: String {
        mark.map { "line \($0.line): \(problem)" } ?? problem
    }
}

/// Parses `text` and composes its single document. Returns nil for a stream with no document
/// (an empty file, or only comments).
package func composeYAML(_ text: String) throws(YAMLError) -> Node? {
    var composer = YAMLComposer()
    return try composer.compose(Array(text.utf8))
}

/// Reads libyaml's events into nodes. One per document; not shared across threads.
struct YAMLComposer {
    /// Deeper nesting than this is refused rather than risking the stack.
    static let maxDepth = 256
    /// More nodes than this, aliases expanded, are refused: a few anchors can name billions.
    static let maxWeight = 1_000_000

    private var anchors: [String: Node] = [:]

    mutating func compose(_ bytes: [UInt8]) throws(YAMLError) -> Node? {
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            throw YAMLError(kind: .reader, problem: "libyaml could not start a parser", mark: nil)
        }
        defer { yaml_parser_delete(parser) }
        return try bytes.withUnsafeBufferPointer { (buffer) throws(YAMLError) -> Node? in
            yaml_parser_set_input_string(parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
            var events = EventReader(parser: parser)
            try events.expect(YAML_STREAM_START_EVENT)
            var event = try events.next()
            if event.type == YAML_STREAM_END_EVENT { return nil }
            guard event.type == YAML_DOCUMENT_START_EVENT else {
                throw YAMLError(kind: .structure, problem: "expected a document", mark: event.mark)
            }
            let root = try node(after: try events.next(), from: &events, depth: 0)
            try events.expect(YAML_DOCUMENT_END_EVENT)
            event = try events.next()
            if event.type != YAML_STREAM_END_EVENT {
                throw YAMLError(
                    kind: .structure,
                    problem: "expected a single document in the stream, but found another document",
                    mark: event.mark
                )
            }
            return root
        }
    }

    private mutating func node(after event: Event, from events: inout EventReader, depth: Int) throws(YAMLError) -> Node {
        guard depth < Self.maxDepth else {
            throw YAMLError(kind: .structure, problem: "nesting deeper than \(Self.maxDepth) levels", mark: event.mark)
        }
        let composed: Node
        switch event.type {
        case YAML_ALIAS_EVENT:
            guard let anchored = anchors[event.anchor ?? ""] else {
                throw YAMLError(kind: .structure, problem: "found undefined alias '\(event.anchor ?? "")'", mark: event.mark)
            }
            return anchored
        case YAML_SCALAR_EVENT:
            composed = Node(content: .scalar(Scalar(string: event.value)), mark: event.mark, weight: 1)
        case YAML_SEQUENCE_START_EVENT:
            var items: [Node] = []
            var weight = 1
            var next = try events.next()
            while next.type != YAML_SEQUENCE_END_EVENT {
                let item = try node(after: next, from: &events, depth: depth + 1)
                weight = try add(item.weight, to: weight, at: item.mark)
                items.append(item)
                next = try events.next()
            }
            composed = Node(content: .sequence(items), mark: event.mark, weight: weight)
        case YAML_MAPPING_START_EVENT:
            var entries: [(key: Node, value: Node)] = []
            var seen: Set<String> = []
            var duplicates: [(key: String, mark: Mark?)] = []
            var weight = 1
            var next = try events.next()
            while next.type != YAML_MAPPING_END_EVENT {
                let key = try node(after: next, from: &events, depth: depth + 1)
                let value = try node(after: try events.next(), from: &events, depth: depth + 1)
                if let text = key.scalar?.string, !seen.insert(text).inserted {
                    duplicates.append((text, key.mark))
                }
                weight = try add(key.weight + value.weight, to: weight, at: key.mark)
                entries.append((key, value))
                next = try events.next()
            }
            if let first = duplicates.first {
                throw YAMLError(
                    kind: .duplicateKeys,
                    problem: "duplicate keys: \(duplicates.map(\.key).joined(separator: ", "))",
                    mark: first.mark
                )
            }
            composed = Node(content: .mapping(Mapping(entries: entries)), mark: event.mark, weight: weight)
        default:
            throw YAMLError(kind: .structure, problem: "expected a value", mark: event.mark)
        }
        if let anchor = event.anchor { anchors[anchor] = composed }
        return composed
    }

    private func add(_ weight: Int, to total: Int, at mark: Mark?) throws(YAMLError) -> Int {
        let sum = total + weight
        guard sum <= Self.maxWeight else {
            throw YAMLError(
                kind: .structure,
                problem: "the document expands to more than \(Self.maxWeight) nodes through aliases",
                mark: mark
            )
        }
        return sum
    }
}

/// One libyaml event, copied out of the C structure before it is freed.
struct Event {
    let type: yaml_event_type_t
    let mark: Mark
    let anchor: String?
    /// A scalar's text; empty for other events.
    let value: String
}

/// Pulls events from a libyaml parser, turning its failures into `YAMLError`s.
struct EventReader {
    let parser: UnsafeMutablePointer<yaml_parser_t>

    mutating func next() throws(YAMLError) -> Event {
        var raw = yaml_event_t()
        guard yaml_parser_parse(parser, &raw) == 1 else { throw failure() }
        defer { yaml_event_delete(&raw) }
        let mark = Mark(line: Int(raw.start_mark.line) + 1, column: Int(raw.start_mark.column) + 1)
        switch raw.type {
        case YAML_SCALAR_EVENT:
            let scalar = raw.data.scalar
            return Event(type: raw.type, mark: mark, anchor: Self.text(scalar.anchor), value: Self.text(scalar.value, length: scalar.length))
        case YAML_ALIAS_EVENT:
            return Event(type: raw.type, mark: mark, anchor: Self.text(raw.data.alias.anchor), value: "")
        case YAML_SEQUENCE_START_EVENT:
            return Event(type: raw.type, mark: mark, anchor: Self.text(raw.data.sequence_start.anchor), value: "")
        case YAML_MAPPING_START_EVENT:
            return Event(type: raw.type, mark: mark, anchor: Self.text(raw.data.mapping_start.anchor), value: "")
        default:
            return Event(type: raw.type, mark: mark, anchor: nil, value: "")
        }
    }

    mutating func expect(_ type: yaml_event_type_t) throws(YAMLError) {
        let event = try next()
        guard event.type == type else {
            throw YAMLError(kind: .structure, problem: "unexpected YAML event", mark: event.mark)
        }
    }

    /// libyaml's own words for what is wrong, at the line where it noticed.
    private func failure() -> YAMLError {
        let state = parser.pointee
        let problem = state.problem.map { String(cString: $0) } ?? "unknown YAML error"
        let mark = Mark(line: Int(state.problem_mark.line) + 1, column: Int(state.problem_mark.column) + 1)
        switch state.error {
        case YAML_READER_ERROR:
            return YAMLError(kind: .reader, problem: problem, mark: nil)
        default:
            return YAMLError(kind: .syntax, problem: problem, mark: mark)
        }
    }

    private static func text(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    private static func text(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int) -> String {
        guard let pointer else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
    }
}
