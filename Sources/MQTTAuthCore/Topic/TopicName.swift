/// A topic a message is published to: UTF-8, 1–65535 bytes, no NUL, no wildcards.
///
/// Swift strings are always valid UTF-8; callers that start from bytes (a C string from the broker,
/// a line of a file) must decode with validation and treat failure as an invalid topic.
package struct TopicName: Sendable, Hashable, CustomStringConvertible {
    package let levels: [Substring]
    package let description: String

    package init(_ text: String) throws(TopicError) {
        try text.withBytes { bytes throws(TopicError) in try TopicText.validateName(bytes) }
        self.description = text
        self.levels = TopicText.levels(text[...])
    }
}
