import NIOCore

extension BrokerRequest {
    /// The request in a JSON body of the one shape brokers send, read without Foundation's
    /// `JSONDecoder`; nil for anything else, which the caller then hands to `JSONDecoder`.
    ///
    /// Broker requests arrive once per MQTT connect and, over HTTP, once per message, and the
    /// decoder cost about 30% of such a request (BENCHMARKS.md). What go-auth and our plugin send
    /// is always a flat object of short ASCII strings and small integers, so this reads exactly
    /// that subset and declines everything else:
    ///
    ///     ws* { ws* ( "key" ws* : ws* value ( ws* , ws* "key" ws* : ws* value )* )? ws* } ws*
    ///     value = "printable ASCII, no \ or \"" | -?(0|[1-9][0-9]*) | null
    ///
    /// Declined (so decided by `JSONDecoder`): escapes, bytes outside 0x20–0x7E in strings,
    /// fractions and exponents, `-0`, integers beyond `Int`, `true`/`false`, arrays, nested
    /// objects, a repeated key, and anything that is not JSON at all. Inside the subset the
    /// result is the one `JSONDecoder` gives (`FlatJSONTests` and the FuzzBrokerRequest
    /// target compare them), including a number in a string field read as its
    /// decimal text and an `acc` sent as a string.
    package static func fromFlatJSON(_ body: ByteBufferView) -> BrokerRequest? {
        body.withUnsafeBytes { bytes in
            var reader = FlatJSONReader(bytes: bytes)
            return reader.read()
        }
    }
}

private struct FlatJSONReader {
    let bytes: UnsafeRawBufferPointer
    var at = 0

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// A value of the subset: the bytes of a string (without quotes), an integer, or null.
    private enum Value {
        case string(Range<Int>)
        case integer(Int)
        case null
    }

    mutating func read() -> BrokerRequest? {
        var request = BrokerRequest()
        var seen: UInt8 = 0  // one bit per known key, to decline repeats
        skipSpace()
        guard take(UInt8(ascii: "{")) else { return nil }
        skipSpace()
        if !take(UInt8(ascii: "}")) {
            repeat {
                skipSpace()
                guard let key = string() else { return nil }
                skipSpace()
                guard take(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                guard let value = value() else { return nil }
                if let bit = knownKeyBit(key) {
                    guard seen & bit == 0 else { return nil }
                    seen |= bit
                    guard assign(value, bit: bit, to: &request) else { return nil }
                }
                skipSpace()
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "}")) else { return nil }
        }
        skipSpace()
        return at == bytes.count ? request : nil
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

    private mutating func value() -> Value? {
        guard at < bytes.count else { return nil }
        switch bytes[at] {
        case UInt8(ascii: "\""):
            return string().map(Value.string)
        case UInt8(ascii: "n"):
            guard bytes.count - at >= 4, bytes[at + 1] == UInt8(ascii: "u"), bytes[at + 2] == UInt8(ascii: "l"),
                  bytes[at + 3] == UInt8(ascii: "l") else { return nil }
            at += 4
            return .null
        default:
            return integer().map(Value.integer)
        }
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

    private static let keys: [(name: StaticString, bit: UInt8)] = [
        ("username", 1), ("password", 2), ("clientid", 4), ("topic", 8), ("acc", 16),
    ]

    private func knownKeyBit(_ key: Range<Int>) -> UInt8? {
        let name = UnsafeRawBufferPointer(rebasing: bytes[key])
        for (known, bit) in Self.keys where known.utf8CodeUnitCount == name.count {
            let knownBytes = UnsafeRawBufferPointer(start: known.utf8Start, count: known.utf8CodeUnitCount)
            if knownBytes.elementsEqual(name) { return bit }
        }
        return nil
    }

    /// Stores a known key's value as `JSONDecoder` would; false where `JSONDecoder` would refuse
    /// it (so that its error message is the one given).
    private func assign(_ value: Value, bit: UInt8, to request: inout BrokerRequest) -> Bool {
        if bit == 16 {
            switch value {
            case .integer(let number): request.acc = number
            case .string(let range):
                guard let number = Int(text(range)) else { return false }
                request.acc = number
            case .null: request.acc = nil
            }
            return true
        }
        let field: String? = switch value {
        case .string(let range): text(range)
        case .integer(let number): String(number)
        case .null: nil
        }
        switch bit {
        case 1: request.username = field
        case 2: request.password = field
        case 4: request.clientID = field
        default: request.topic = field
        }
        return true
    }

    private func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}
