/// Where a rule or a configuration error came from: a file as the operator named it, and a line.
package struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    package let file: String
    /// 1-based; nil when the problem concerns the whole file.
    package let line: Int?

    package init(file: String, line: Int?) {
        self.file = file
        self.line = line
    }

    package var description: String {
        guard let line else { return file }
        return "\(file):\(line)"
    }
}
