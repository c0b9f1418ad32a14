#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Collects output lines and writes them in large chunks: a batch of 100,000 cases makes
/// 100,000 lines, and one write each would dominate the run.
struct BufferedLines {
    private let write: (Data) -> Void
    private var buffer: [UInt8] = []

    init(writingTo write: @escaping (Data) -> Void) {
        self.write = write
    }

    mutating func line(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        guard !buffer.isEmpty else { return }
        write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}
