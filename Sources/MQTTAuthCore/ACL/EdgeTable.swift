/// A frozen open-addressing hash table from `(parent, key bytes)` to a child index: the literal
/// edges of the trie, exact usernames, superusers and username-prefix bytes.
///
/// Each slot is 32 bytes, two to a cache line, and holds keys of up to 16 bytes itself, so a
/// lookup usually reads one line. Longer keys live in a side arena. Keys come from the trusted
/// configuration and the table is at most half full, so probe sequences stay short.
struct EdgeTable: Sendable {
    struct Edge {
        var parent: Int32
        var keyStart: Int
        var keyCount: Int
        var child: Int32
    }

    private struct Slot {
        var tag: UInt32 = 0
        var parent: Int32 = 0
        var child: Int32 = TrieNode.none
        var keyCount: UInt32 = 0
        /// The key's bytes, zero-padded; for a key over 16 bytes, `word0` is its arena offset.
        var word0: UInt64 = 0
        var word1: UInt64 = 0
    }

    /// The size of one slot, which the layout assumes to be 32 bytes (`TrieLayout.sizesHold`).
    static var slotSize: Int { MemoryLayout<Slot>.stride }

    /// A key prepared for hashing and comparing.
    private struct Key {
        var hash: UInt64
        var word0: UInt64 = 0
        var word1: UInt64 = 0

        @inline(__always)
        init(parent: Int32, bytes: UnsafeBufferPointer<UInt8>) {
            let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
            var hash = (UInt64(UInt32(bitPattern: parent)) << 32 | UInt64(bytes.count)) &* multiplier
            let words = KeyWords(bytes)
            word0 = words.word0
            word1 = words.word1
            if bytes.count <= 16 {
                hash = (hash ^ words.word0) &* multiplier
                hash = (hash ^ (hash >> 32) ^ words.word1) &* multiplier
            } else {
                let raw = UnsafeRawPointer(bytes.baseAddress!)
                var index = 0
                while index + 8 <= bytes.count {
                    hash = (hash ^ raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) &* multiplier
                    hash ^= hash >> 32
                    index += 8
                }
                var tail: UInt64 = 0
                var shift: UInt64 = 0
                while index < bytes.count {
                    tail |= UInt64(bytes[index]) << shift
                    shift += 8
                    index += 1
                }
                hash = (hash ^ tail) &* multiplier
            }
            self.hash = hash ^ (hash >> 29)
        }
    }

    private let slots: FrozenBuffer<Slot>
    private let arena: FrozenBuffer<UInt8>
    private let mask: Int

    /// `arena` holds the bytes of every edge's key, at `keyStart`.
    init(edges: [Edge], arena: FrozenBuffer<UInt8>) {
        var capacity = 8
        while capacity < edges.count * 2 { capacity *= 2 }
        mask = capacity - 1
        let mask = mask
        slots = FrozenBuffer(count: capacity) { slots in
            slots.initialize(repeating: Slot())
            for edge in edges {
                let bytes = UnsafeBufferPointer(rebasing: arena.elements[edge.keyStart..<edge.keyStart + edge.keyCount])
                let key = Key(parent: edge.parent, bytes: bytes)
                var index = Int(truncatingIfNeeded: key.hash) & mask
                while slots[index].child != TrieNode.none { index = (index + 1) & mask }
                slots[index] = Slot(
                    tag: UInt32(truncatingIfNeeded: key.hash >> 32),
                    parent: edge.parent,
                    child: edge.child,
                    keyCount: UInt32(edge.keyCount),
                    word0: edge.keyCount <= 16 ? key.word0 : UInt64(edge.keyStart),
                    word1: key.word1
                )
            }
        }
        self.arena = arena
    }

    /// The child of `parent` along the edge labelled `bytes`, or -1.
    @inline(__always)
    func child(of parent: Int32, key bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        let key = Key(parent: parent, bytes: bytes)
        let tag = UInt32(truncatingIfNeeded: key.hash >> 32)
        let slots = slots.elements
        var index = Int(truncatingIfNeeded: key.hash) & mask
        while true {
            let slot = slots[index]
            if slot.child == TrieNode.none { return TrieNode.none }
            if slot.tag == tag, slot.parent == parent, Int(slot.keyCount) == bytes.count, matches(slot, key, bytes) {
                return slot.child
            }
            index = (index + 1) & mask
        }
    }

    @inline(__always)
    private func matches(_ slot: Slot, _ key: Key, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if bytes.count <= 16 { return slot.word0 == key.word0 && slot.word1 == key.word1 }
        let start = Int(slot.word0)
        return bytes.elementsEqual(UnsafeBufferPointer(rebasing: arena.elements[start..<start + bytes.count]))
    }
}

/// The first 16 bytes of a key as two words, zero-padded: with the key's length, enough to
/// compare keys of up to 16 bytes in two instructions.
struct KeyWords {
    var word0: UInt64 = 0
    var word1: UInt64 = 0

    @inline(__always)
    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { $0.baseAddress!.copyMemory(from: base, byteCount: min(16, bytes.count)) }
        word0 = words.0
        word1 = words.1
    }
}
