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
