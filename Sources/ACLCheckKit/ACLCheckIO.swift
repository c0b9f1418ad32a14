#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MQTTAuthCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The streams aclcheck reads and writes: the process's own (`standard`), or a test's, which
/// hands over a string as standard input and collects the output.
package struct ACLCheckIO {
    /// All of standard input. Only `--batch -` calls it, once, after the configuration has loaded.
    package var readInput: () -> Data
    /// Writes to standard output as given: each line ends with its "\n".
    package var writeOutput: (Data) -> Void
    /// Writes to standard error the same way.
    package var writeError: (Data) -> Void

    package init(
        readInput: @escaping () -> Data,
        writeOutput: @escaping (Data) -> Void,
        writeError: @escaping (Data) -> Void
    ) {
        self.readInput = readInput
        self.writeOutput = writeOutput
        self.writeError = writeError
    }

    /// The process's standard input, output and error, unbuffered.
    package static var standard: ACLCheckIO {
        ACLCheckIO(
            readInput: { Data(TextFile.readToEnd(STDIN_FILENO).bytes) },
            writeOutput: { writeAll(STDOUT_FILENO, $0) },
            writeError: { writeAll(STDERR_FILENO, $0) }
        )
    }

    /// Writes all of `data`, however many write(2) calls it takes; stops if the stream is gone.
    static func writeAll(_ descriptor: Int32, _ data: Data) {
        data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < buffer.count {
                let count = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count > 0 {
                    offset += count
                } else if count < 0, errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    func outputLine(_ text: String) {
        writeOutput(Data((text + "\n").utf8))
    }

    func errorLine(_ text: String) {
        writeError(Data((text + "\n").utf8))
    }
}
