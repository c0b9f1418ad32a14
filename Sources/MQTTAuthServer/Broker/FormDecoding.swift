import Foundation
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

    /// The values of `names` in a form body, in the order of `names` (nil for a name not
    /// sent), with `%XX` escapes decoded and `+` as a space. The first of repeated names counts.
    /// Only the values asked for are decoded and checked: RabbitMQ's checks send about ten
    /// fields and read a few, and building a dictionary of them all cost more than deciding.
    static func values(of names: [StaticString], in body: some Collection<UInt8>) throws(Failure) -> [String?] {
        if let found = body.withContiguousStorageIfAvailable({ values(of: names, in: $0) }) { return try found.get() }
        return try Array(body).withUnsafeBufferPointer { values(of: names, in: $0) }.get()
    }

    private static func values(of names: [StaticString], in bytes: UnsafeBufferPointer<UInt8>) -> Result<[String?], Failure> {
        var found = [String?](repeating: nil, count: names.count)
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "&") { end += 1 }
            var equals = start
            while equals < end, bytes[equals] != UInt8(ascii: "=") { equals += 1 }
            if end > start, let index = index(of: UnsafeBufferPointer(rebasing: bytes[start..<equals]), in: names), found[index] == nil {
                do {
                    found[index] = try text(equals < end ? UnsafeBufferPointer(rebasing: bytes[(equals + 1)..<end]) : UnsafeBufferPointer(start: nil, count: 0), plusIsSpace: true)
                } catch {
                    return .failure(error)
                }
            }
            start = end + 1
        }
        return .success(found)
    }

    /// Which of `names` the raw `name` is, decoding it first only when it holds an escape.
    private static func index(of name: UnsafeBufferPointer<UInt8>, in names: [StaticString]) -> Int? {
        if name.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) {
            guard let decoded = try? text(name, plusIsSpace: true) else { return nil }
            return names.firstIndex { $0.description == decoded }
        }
        return names.firstIndex { known in
            known.utf8CodeUnitCount == name.count && memcmp(known.utf8Start, name.baseAddress!, name.count) == 0
        }
    }

    private static func text(_ bytes: some Collection<UInt8>, plusIsSpace: Bool) throws(Failure) -> String {
        // Most values need no decoding at all: then the bytes are checked as UTF-8 and kept.
        if !bytes.contains(where: { $0 == UInt8(ascii: "%") || ($0 == UInt8(ascii: "+") && plusIsSpace) }) {
            guard let string = String(validating: bytes, as: UTF8.self) else {
                throw Failure(description: "form body is not UTF-8 text")
            }
            return string
        }
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
