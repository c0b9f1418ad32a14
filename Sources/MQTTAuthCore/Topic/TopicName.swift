/// A topic a message is published to: UTF-8, 1–65535 bytes, no NUL, no wildcards.
///
/// Swift strings are always valid UTF-8; callers that start from bytes (a C string from the broker,
/// a line of a file) must decode with validation and treat failure as an invalid topic.
package struct TopicName: Sendable, Hashable, CustomStringConvertible {
    package let levels: [Substring]
    package let description: String

    package init(_ text: String) throws(TopicError) {
        try TopicText.checkCommon(text)
        if text.utf8.contains(where: { $0 == TopicText.plus || $0 == TopicText.hash }) {
            throw .wildcardInName
        }
        self.description = text
        self.levels = TopicText.levels(text)
    }
}
