extension StringProtocol {
    /// The text without leading and trailing whitespace and newlines (Unicode's White_Space,
    /// as `Character.isWhitespace` has it). FoundationEssentials has no `trimmingCharacters`.
    package func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }) else { return "" }
        let last = lastIndex(where: { !$0.isWhitespace })!
        return String(self[first...last])
    }
}
