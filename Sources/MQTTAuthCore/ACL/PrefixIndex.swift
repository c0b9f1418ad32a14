/// Finds the tries of every `prefix%` selector that a username starts with, in one pass over
/// the username's bytes (a byte trie), whatever the number of prefixes.
struct PrefixIndex: Sendable {
    private struct Node: Sendable {
        var bytes: [UInt8] = []
        var children: [Int32] = []
        var trie: TopicTrie?

        func child(_ byte: UInt8) -> Int32? {
            guard let slot = bytes.firstIndex(of: byte) else { return nil }
            return children[slot]
        }
    }

    private var nodes: [Node] = [Node()]

    init(_ tries: [String: TopicTrie]) {
        for (prefix, trie) in tries {
            var current = 0
            for byte in prefix.utf8 {
                if let next = nodes[current].child(byte) {
                    current = Int(next)
                } else {
                    nodes.append(Node())
                    nodes[current].bytes.append(byte)
                    nodes[current].children.append(Int32(nodes.count - 1))
                    current = nodes.count - 1
                }
            }
            nodes[current].trie = trie
        }
    }

    var isEmpty: Bool { nodes.count == 1 }

    /// Calls `body` with the trie of each prefix of `username`, shortest first.
    func forEachMatch(_ username: String, _ body: (TopicTrie) -> Void) {
        var current = 0
        for byte in username.utf8 {
            guard let next = nodes[current].child(byte) else { return }
            current = Int(next)
            if let trie = nodes[current].trie { body(trie) }
        }
    }
}
