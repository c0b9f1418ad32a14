import Foundation
import MQTTAuthCore
import NIOCore

/// The parameters of a mosquitto-go-auth HTTP backend request (`/mqtt/auth`, `/mqtt/superuser`,
/// `/mqtt/acl`), from a JSON body (numbers may be strings), a form body, or, when the body is
/// empty, the query string.
package struct BrokerRequest: Sendable, Equatable {
    package var username: String?
    package var password: String?
    package var clientID: String?
    package var topic: String?
    /// Mosquitto's access bits; auth-plug sends -1 on auth and superuser.
    package var acc: Int?

    /// Parses a request from its whole body, or from the URI query when the body is empty.
    /// The content type decides between JSON and form; without one, a body starting with `{`
    /// is JSON.
    package static func parse(body: ByteBuffer, contentType: String?, query: String?) throws(APIError) -> BrokerRequest {
        let bytes = body.readableBytesView
        let parsed: BrokerRequest
        do {
            if bytes.isEmpty {
                parsed = try fromForm(Array((query ?? "").utf8))
            } else if isJSON(contentType, bytes) {
                parsed = try fromFlatJSON(bytes) ?? fromJSON(Data(bytes))
            } else {
                parsed = try fromForm(Array(bytes))
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.invalidRequest("\(error)")
        }
        for field in [parsed.username, parsed.password, parsed.clientID, parsed.topic] {
            if var field, field.withUTF8({ $0.contains(0) }) { throw APIError.invalidRequest("a field holds a NUL character") }
        }
        return parsed
    }

    private static func isJSON(_ contentType: String?, _ bytes: ByteBufferView) -> Bool {
        if let type = contentType?.lowercased() {
            if type.hasPrefix("application/json") { return true }
            if type.hasPrefix("application/x-www-form-urlencoded") { return false }
        }
        let first = bytes.first { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\t") }
        return first == UInt8(ascii: "{")
    }

    private static func fromForm(_ bytes: [UInt8]) throws -> BrokerRequest {
        let fields: [String: String]
        do {
            fields = try FormDecoding.decode(bytes, rawPlus: ["clientid"])
        } catch {
            throw APIError.invalidRequest(error.description)
        }
        var parsed = BrokerRequest(username: fields["username"], password: fields["password"], clientID: fields["clientid"], topic: fields["topic"])
        if let acc = fields["acc"] {
            guard let number = Int(acc) else { throw APIError.invalidRequest("acc must be a number") }
            parsed.acc = number
        }
        return parsed
    }

    /// The request in a JSON body, through Foundation's `JSONDecoder`. `parse` tries
    /// `fromFlatJSON` first; this is what it falls back to, and what tests compare it with.
    package static func fromJSON(_ data: Data) throws -> BrokerRequest {
        do {
            return try JSONDecoder().decode(JSONBody.self, from: data).request
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.invalidRequest("body is not a JSON object of strings and numbers")
        }
    }

    /// go-auth sends every value as a JSON string or number.
    private struct JSONBody: Decodable {
        var request = BrokerRequest()

        enum Key: String, CodingKey {
            case username, password, clientid, topic, acc
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            request.username = try Self.text(container, .username)
            request.password = try Self.text(container, .password)
            request.clientID = try Self.text(container, .clientid)
            request.topic = try Self.text(container, .topic)
            request.acc = try Self.number(container, .acc)
        }

        /// A string field; a number is accepted as its decimal text. The expected type is tried
        /// first, because a failed attempt costs a thrown error.
        private static func text(_ container: KeyedDecodingContainer<Key>, _ key: Key) throws -> String? {
            guard container.contains(key), try !container.decodeNil(forKey: key) else { return nil }
            if let string = try? container.decode(String.self, forKey: key) { return string }
            if let number = try? container.decode(Int.self, forKey: key) { return String(number) }
            throw APIError.invalidRequest("\(key.rawValue) must be a string or a number")
        }

        /// A number field; go-auth may send it as a string.
        private static func number(_ container: KeyedDecodingContainer<Key>, _ key: Key) throws -> Int? {
            guard container.contains(key), try !container.decodeNil(forKey: key) else { return nil }
            if let number = try? container.decode(Int.self, forKey: key) { return number }
            if let text = try? container.decode(String.self, forKey: key) {
                guard let number = Int(text) else { throw APIError.invalidRequest("\(key.rawValue) must be a number") }
                return number
            }
            throw APIError.invalidRequest("\(key.rawValue) must be a number")
        }
    }

    func required(_ value: String?, _ name: String) throws(APIError) -> String {
        guard let value else { throw APIError.invalidRequest("missing \(name)") }
        return value
    }

    /// The access of an ACL request: 1 read, 2 publish, 4 subscribe, 8 unsubscribe.
    package func access() throws(APIError) -> Access {
        guard let acc else { throw APIError.invalidRequest("missing acc") }
        guard acc >= 0, acc <= Int(UInt8.max), let access = Access(rawValue: UInt8(acc)) else {
            throw APIError.invalidRequest("acc must be 1 (read), 2 (publish), 4 (subscribe) or 8 (unsubscribe)")
        }
        return access
    }
}
