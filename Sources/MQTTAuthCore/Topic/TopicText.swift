/// Byte-level validation of topic names and filters, shared by the typed `TopicName` and
/// `TopicFilter` and by the ACL's allocation-free hot path, so both always agree.
enum TopicText {
    static let maxBytes = 65535
    static let slash = UInt8(ascii: "/")
    static let plus = UInt8(ascii: "+")
    static let hash = UInt8(ascii: "#")
    static let dollar = UInt8(ascii: "$")

    /// A topic name: 1–65535 bytes, no NUL, no `+` or `#`.
    static func validateName(_ bytes: UnsafeBufferPointer<UInt8>) throws(TopicError) {
        if bytes.isEmpty { throw .empty }
        if bytes.count > maxBytes { throw .tooLong }
        var wildcard = false
        for byte in bytes {
            if byte == 0 { throw .nul }
            wildcard = wildcard || byte == plus || byte == hash
        }
        if wildcard { throw .wildcardInName }
    }

    /// A filter: 1–65535 bytes, no NUL, `+` only as a whole level, `#` only as the whole last
    /// level. With `subscription: true` a leading `$share/<group>/` is skipped.
    ///
    /// - Returns: the offset where the filter proper starts (after `$share/<group>/`, or 0).
    static func validateFilter(_ bytes: UnsafeBufferPointer<UInt8>, subscription: Bool) throws(TopicError) -> Int {
        if bytes.isEmpty { throw .empty }
        if bytes.count > maxBytes { throw .tooLong }
        let start = subscription ? try shareStart(bytes) : 0
        var levelStart = start
        for index in start..<bytes.count {
            let byte = bytes[index]
            if byte == 0 { throw .nul }
            if byte == slash {
                levelStart = index + 1
            } else if byte == plus {
                let alone = index == levelStart && (index + 1 == bytes.count || bytes[index + 1] == slash)
                if !alone { throw .plusNotWholeLevel }
            } else if byte == hash {
                if index != levelStart || index + 1 != bytes.count { throw .hashNotLastLevel }
            }
        }
        return start
    }

    /// The offset after `$share/<group>/`, or 0 when `bytes` does not start with `$share/`.
    private static func shareStart(_ bytes: UnsafeBufferPointer<UInt8>) throws(TopicError) -> Int {
        let prefix = "$share/".utf8
        guard bytes.starts(with: prefix) else { return 0 }
        var index = prefix.count
        while index < bytes.count, bytes[index] != slash {
            if bytes[index] == plus || bytes[index] == hash { throw .wildcardInShareGroup }
            index += 1
        }
        guard index > prefix.count, index + 1 < bytes.count else { throw .emptyShareGroup }
        return index + 1
    }

    /// Splits at `/`, keeping empty levels (`a//b` has three levels).
    static func levels(_ text: Substring) -> [Substring] {
        text.utf8.split(separator: slash, omittingEmptySubsequences: false).map { Substring($0) }
    }
}

extension String {
    /// Runs `body` over the string's UTF-8 bytes without copying a native string.
    @inline(__always)
    func withBytes<R, E: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        var copy = self
        // `withUTF8` rethrows untyped errors; carry the typed one out in a Result.
        let result = copy.withUTF8 { bytes in Result { () throws(E) -> R in try body(bytes) } }
        return try result.get()
    }
}

extension StringProtocol {
    /// True for a level that starts with `$`, which leading wildcards never match.
    var isDollarLevel: Bool { utf8.first == TopicText.dollar }
}

extension TopicName {
    /// Why `text` is not a topic name, or nil: `init` without building the levels, for the
    /// broker endpoints that only need the verdict.
    package static func problem(_ text: String) -> TopicError? {
        do {
            try text.withBytes { bytes throws(TopicError) in try TopicText.validateName(bytes) }
            return nil
        } catch {
            return error
        }
    }
}

extension TopicFilter {
    /// Why `text` is not a subscription's filter (`$share/<group>/` allowed), or nil.
    package static func subscriptionProblem(_ text: String) -> TopicError? {
        do {
            _ = try text.withBytes { bytes throws(TopicError) in try TopicText.validateFilter(bytes, subscription: true) }
            return nil
        } catch {
            return error
        }
    }
}
