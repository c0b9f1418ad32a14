/// Why a topic name or filter was refused. The description is safe to show to an operator.
package struct TopicError: Error, Equatable, CustomStringConvertible {
    package let description: String

    package init(_ description: String) {
        self.description = description
    }

    static let empty = TopicError("topic is empty")
    static let tooLong = TopicError("topic is longer than 65535 bytes")
    static let nul = TopicError("topic contains a NUL character")
    static let wildcardInName = TopicError("a topic name cannot contain '+' or '#'")
    static let plusNotWholeLevel = TopicError("'+' must be a whole level")
    static let hashNotLastLevel = TopicError("'#' must be a whole level and the last one")
    static let emptyShareGroup = TopicError("$share needs a group name and a filter: $share/<group>/<filter>")
    static let wildcardInShareGroup = TopicError("a $share group name cannot contain '+' or '#'")
}

/// Byte-level facts every topic string is checked against.
enum TopicText {
    static let maxBytes = 65535
    static let slash = UInt8(ascii: "/")
    static let plus = UInt8(ascii: "+")
    static let hash = UInt8(ascii: "#")
    static let dollar = UInt8(ascii: "$")

    /// Checks length and NUL, which apply to names and filters alike.
    static func checkCommon(_ text: String) throws(TopicError) {
        let utf8 = text.utf8
        if utf8.isEmpty { throw .empty }
        if utf8.count > maxBytes { throw .tooLong }
        if utf8.contains(0) { throw .nul }
    }

    /// Splits at `/`, keeping empty levels (`a//b` has three levels).
    static func levels(_ text: String) -> [Substring] {
        text.utf8.split(separator: slash, omittingEmptySubsequences: false).map { Substring($0) }
    }
}

extension StringProtocol {
    /// True for a level that starts with `$`, which leading wildcards never match.
    var isDollarLevel: Bool { utf8.first == TopicText.dollar }
}
