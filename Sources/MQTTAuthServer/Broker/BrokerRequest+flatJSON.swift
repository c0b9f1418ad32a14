import NIOCore

extension BrokerRequest {
    /// The request in a JSON body of the one shape brokers send, read by `FlatJSON` without
    /// Foundation's `JSONDecoder`; nil for anything else, which the caller then hands to
    /// `JSONDecoder`.
    ///
    /// Broker requests arrive once per MQTT connect and, over HTTP, once per message, and the
    /// decoder cost about 30% of such a request (BENCHMARKS.md). What go-auth and our plugin send
    /// is always a flat object of short ASCII strings and small integers. Inside `FlatJSON`'s
    /// subset the result is the one `JSONDecoder` gives (`FlatJSONTests` and the
    /// FuzzBrokerRequest target compare them), including a number in a string field read as its
    /// decimal text and an `acc` sent as a string; a `true` or `false` in a known field, which
    /// `JSONDecoder` refuses, is declined.
    package static func fromFlatJSON(_ body: ByteBufferView) -> BrokerRequest? {
        var request = BrokerRequest()
        let read = body.withUnsafeBytes { bytes in
            FlatJSON.read(bytes, keys: keys) { key, value in assign(value, key: key, to: &request) }
        }
        return read ? request : nil
    }

    private static let keys: [StaticString] = ["username", "password", "clientid", "topic", "acc"]

    /// Stores a known key's value as `JSONDecoder` would; false where `JSONDecoder` would refuse
    /// it (so that its error message is the one given).
    private static func assign(_ value: FlatJSON.Value, key: Int, to request: inout BrokerRequest) -> Bool {
        if key == 4 {
            switch value {
            case .integer(let number): request.acc = number
            case .string(let text):
                guard let number = Int(text) else { return false }
                request.acc = number
            case .null: request.acc = nil
            case .bool: return false
            }
            return true
        }
        let field: String?
        switch value {
        case .string(let text): field = text
        case .integer(let number): field = String(number)
        case .null: field = nil
        case .bool: return false
        }
        switch key {
        case 0: request.username = field
        case 1: request.password = field
        case 2: request.clientID = field
        default: request.topic = field
        }
        return true
    }
}
