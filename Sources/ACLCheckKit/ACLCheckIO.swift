import Foundation

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
            readInput: { FileHandle.standardInput.readDataToEndOfFile() },
            writeOutput: { FileHandle.standardOutput.write($0) },
            writeError: { FileHandle.standardError.write($0) }
        )
    }

    func outputLine(_ text: String) {
        writeOutput(Data((text + "\n").utf8))
    }

    func errorLine(_ text: String) {
        writeError(Data((text + "\n").utf8))
    }
}
