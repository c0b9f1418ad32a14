#if canImport(Glibc)
import Glibc
#endif

/// Memory that is filled once, then only read until its owner goes away: the storage of the
/// frozen trie. Nothing can write to it after `init` (`elements` is a read-only pointer), which
/// is what makes `@unchecked Sendable` sound. Elements must be plain values (no references), as nothing deinitializes them.
///
/// It is aligned to cache lines, and on Linux a large buffer asks for transparent huge pages, so
/// that a decision at 100,000 rules is not slowed by TLB misses.
final class FrozenBuffer<Element>: @unchecked Sendable {
    let elements: UnsafeBufferPointer<Element>
    private let huge: Bool

    init(count: Int, fill: (UnsafeMutableBufferPointer<Element>) -> Void) {
        precondition(_isPOD(Element.self), "FrozenBuffer holds plain values only")
        let bytes = max(1, count) * MemoryLayout<Element>.stride
        let hugePage = 2 << 20
        var raw: UnsafeMutableRawPointer?
        #if os(Linux)
        if bytes >= 2 * hugePage, posix_memalign(&raw, hugePage, bytes) == 0, let raw {
            _ = madvise(raw, bytes, MADV_HUGEPAGE)
        }
        #endif
        huge = raw != nil
        let memory = raw ?? UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        let writable = UnsafeMutableBufferPointer(start: memory.bindMemory(to: Element.self, capacity: count), count: count)
        fill(writable)
        elements = UnsafeBufferPointer(writable)
    }

    convenience init(_ values: [Element]) {
        self.init(count: values.count) { _ = $0.initialize(from: values) }
    }

    deinit {
        #if os(Linux)
        if huge {
            free(UnsafeMutableRawPointer(mutating: elements.baseAddress))
            return
        }
        #endif
        UnsafeRawPointer(elements.baseAddress)?.deallocate()
    }
}
