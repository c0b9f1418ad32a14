import Foundation
import MQTTAuthCore

/// `${NAME}` in configuration values, replaced from the environment.
enum EnvironmentExpansion {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Replaces every `${NAME}` (NAME: letters, digits and `_`, not starting with a digit).
    /// A `$` not followed by `{` is kept as it is.
    static func expand(_ text: String, _ environment: [String: String]) throws(Failure) -> String {
        guard text.contains("${") else { return text }
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw Failure(description: "'${' without a closing '}'")
            }
            let name = String(rest[start.upperBound..<end])
            guard Self.isName(name) else {
                throw Failure(description: "'${\(name.printable)}' is not a variable name")
            }
            guard let value = environment[name] else {
                throw Failure(description: "environment variable \(name) is not set")
            }
            result += value
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }

    private static func isName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first.properties.isAlphabetic, first.isASCII else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }
}
