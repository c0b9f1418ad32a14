/// A rule that cannot be compiled. The text says what is wrong; the loader adds file and line.
package struct RuleError: Error, Equatable, CustomStringConvertible {
    package let description: String

    package init(_ description: String) {
        self.description = description
    }
}
