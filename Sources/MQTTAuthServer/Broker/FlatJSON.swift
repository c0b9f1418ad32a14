import Foundation

/// A reader for the one JSON shape brokers send on their hottest requests: a flat object of
/// short ASCII strings, small integers, booleans and nulls. It reads exactly this subset and
/// declines everything else, which its callers then hand to Foundation's `JSONDecoder`:
///
///     ws* { ws* ( "key" ws* : ws* value ( ws* , ws* "key" ws* : ws* value )* )? ws* } ws*
///     value = "printable ASCII, no \ or \"" | -?(0|[1-9][0-9]*) | true | false | null
///
/// Declined: escapes, bytes outside 0x20–0x7E in strings (keys included), fractions and
/// exponents, `-0`, integers beyond `Int`, arrays, nested objects, a repeated known key, and
/// anything that is not JSON at all. Inside the subset, each caller's result must equal
/// `JSONDecoder`'s (`FlatJSONTests`, the FuzzBrokerRequest target, `VerneMQFlatJSONTests`).
///
/// Hand-written for speed, measured: the go-auth request with it instead of `JSONDecoder`
/// went from 47,834 to 58,458 requests/s, and VerneMQ's publish check likewise (BENCHMARKS.md).
enum FlatJSON {
    /// A value of the subset. Strings are decoded only for known keys.
    enum Value {
        case string(String)
        case integer(Int)
        case bool(Bool)
        case null
    }

    /// Reads an object, calling `found` with the index in `keys` and the value of each known
    /// key (other keys' values are read and dropped). Returns false when the body is outside
    /// the subset or `found` refused a value.
    static func read(_ bytes: UnsafeRawBufferPointer, keys: [StaticString], _ found: (Int, Value) -> Bool) -> Bool {
        var reader = Reader(bytes: bytes)
        return reader.read(keys: keys, found)
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var at = 0

        /// A value as read, strings as the range of their contents.
        enum Raw {
            case string(Range<Int>)
            case integer(Int)
            case bool(Bool)
            case null
        }

        mutating func read(keys: [StaticString], _ found: (Int, Value) -> Bool) -> Bool {
            var seen: UInt64 = 0  // one bit per known key, to decline repeats
            skipSpace()
            guard take(UInt8(ascii: "{")) else { return false }
            skipSpace()
            if !take(UInt8(ascii: "}")) {
                repeat {
                    skipSpace()
                    guard let key = string() else { return false }
                    skipSpace()
                    guard take(UInt8(ascii: ":")) else { return false }
                    skipSpace()
                    guard let value = value() else { return false }
                    if let index = Self.index(of: UnsafeRawBufferPointer(rebasing: bytes[key]), in: keys) {
                        let bit: UInt64 = 1 << UInt64(index)
                        guard seen & bit == 0 else { return false }
                        seen |= bit
                        guard found(index, cooked(value)) else { return false }
                    }
                    skipSpace()
                } while take(UInt8(ascii: ","))
                guard take(UInt8(ascii: "}")) else { return false }
            }
            skipSpace()
            return at == bytes.count
        }

        private func cooked(_ raw: Raw) -> Value {
            switch raw {
            case .string(let range): .string(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self))
            case .integer(let number): .integer(number)
            case .bool(let flag): .bool(flag)
            case .null: .null
            }
        }

        private static func index(of name: UnsafeRawBufferPointer, in keys: [StaticString]) -> Int? {
            for index in keys.indices where keys[index].utf8CodeUnitCount == name.count {
                if memcmp(keys[index].utf8Start, name.baseAddress!, name.count) == 0 { return index }
            }
            return nil
        }

        private mutating func take(_ byte: UInt8) -> Bool {
            guard at < bytes.count, bytes[at] == byte else { return false }
            at += 1
            return true
        }

        private mutating func skipSpace() {
            while at < bytes.count {
                switch bytes[at] {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): at += 1
                default: return
                }
            }
        }

        /// A string of printable ASCII without escapes: the range of its contents.
        private mutating func string() -> Range<Int>? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = at
            while at < bytes.count {
                let byte = bytes[at]
                if byte == UInt8(ascii: "\"") {
                    at += 1
                    return start..<(at - 1)
                }
                guard byte >= 0x20, byte <= 0x7E, byte != UInt8(ascii: "\\") else { return nil }
                at += 1
            }
            return nil
        }

        private mutating func value() -> Raw? {
            guard at < bytes.count else { return nil }
            switch bytes[at] {
            case UInt8(ascii: "\""): return string().map(Raw.string)
            case UInt8(ascii: "n"): return word("null") ? .null : nil
            case UInt8(ascii: "t"): return word("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return word("false") ? .bool(false) : nil
            default: return integer().map(Raw.integer)
            }
        }

        private mutating func word(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard bytes.count - at >= count, memcmp(bytes.baseAddress! + at, text.utf8Start, count) == 0 else { return false }
            at += count
            return true
        }

        /// -?(0|[1-9][0-9]*), followed by neither a fraction nor an exponent; not -0.
        private mutating func integer() -> Int? {
            let negative = take(UInt8(ascii: "-"))
            let start = at
            var magnitude = 0
            while at < bytes.count, bytes[at] >= UInt8(ascii: "0"), bytes[at] <= UInt8(ascii: "9") {
                let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(Int(bytes[at] - UInt8(ascii: "0")))
                guard !overflow1, !overflow2 else { return nil }
                magnitude = sum
                at += 1
            }
            let digits = at - start
            guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
            if at < bytes.count {
                switch bytes[at] {
                case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): return nil
                default: break
                }
            }
            if negative {
                guard magnitude != 0 else { return nil }
                return -magnitude
            }
            return magnitude
        }
    }
}
