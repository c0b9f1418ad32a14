import MQTTAuthCore

/// `application/x-www-form-urlencoded` bodies, as go-auth's `form` mode and jpmens
/// mosquitto-auth-plug send them.
enum FormDecoding {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Decodes `name=value&...`. `%XX` escapes are decoded and `+` means a space, except in
    /// the keys listed in `rawPlus`: mosquitto-auth-plug does not escape client ids, whose `+`
    /// is a literal plus. A bad escape or text that is not UTF-8 is a failure; a repeated key
    /// keeps its first value.
    static func decode(_ body: some Collection<UInt8>, rawPlus: Set<String> = []) throws(Failure) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = try text(parts[0], plusIsSpace: true)
            let value = parts.count > 1 ? try text(parts[1], plusIsSpace: !rawPlus.contains(name)) : ""
            if fields[name] == nil { fields[name] = value }
        }
        return fields
    }

    private static func text(_ bytes: some Collection<UInt8>, plusIsSpace: Bool) throws(Failure) -> String {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var iterator = bytes.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(Hex.value), let low = iterator.next().flatMap(Hex.value) else {
                    throw Failure(description: "form body has a bad %-escape")
                }
                decoded.append(high << 4 | low)
            case UInt8(ascii: "+") where plusIsSpace:
                decoded.append(UInt8(ascii: " "))
            default:
                decoded.append(byte)
            }
        }
        guard let string = String(validating: decoded, as: UTF8.self) else {
            throw Failure(description: "form body is not UTF-8 text")
        }
        return string
    }
}
