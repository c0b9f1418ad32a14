import ACLCheckKit
import Foundation
import MQTTAuthCore

/// The body of `POST /v2/admin/acl/check` (README "Admin API"):
/// `{"username"?, "clientid"?, "topic", "access", "attributes"?, "strict_subscribe"?}`, read into the request aclcheck
/// checks, so that both decide alike. `username` and `clientid` may be missing, null or empty
/// (a client without one, as aclcheck without `--user`); `access` is `publish`, `subscribe` or
/// `read`; each attribute is a string or an array of strings, named as aclcheck's `--attr`.
/// `strict_subscribe: true` decides a subscribe as EMQX, RabbitMQ and VerneMQ get it (aclcheck's
/// `--strict-subscribe`). An invalid topic is not refused here: the ACL denies it with reason `invalid_topic`, as
/// aclcheck does. Anything else that is not so is a 400 naming what is wrong.
enum ACLCheckBody {
    static let fields: Set<String> = ["username", "clientid", "topic", "access", "attributes", "strict_subscribe"]

    static func parse(_ data: Data) throws(APIError) -> CheckRequest {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw APIError.invalidRequest("body must be a JSON object with string fields topic and access")
        }
        if let unknown = object.keys.sorted().first(where: { !fields.contains($0) }) {
            throw APIError.invalidRequest("unknown field '\(unknown.printable)'; the fields are username, clientid, topic, access, attributes and strict_subscribe")
        }
        let user = try optionalString(object, "username")
        let clientID = try optionalString(object, "clientid")
        guard let topic = object["topic"] as? String else { throw APIError.invalidRequest("topic must be a string") }
        guard let name = object["access"] as? String, let access = CheckAccess(rawValue: name) else {
            throw APIError.invalidRequest("access must be publish, subscribe or read")
        }
        var request = CheckRequest(user: user, clientID: clientID, topic: topic, access: access.access, attributes: try attributes(object["attributes"]))
        if let strict = object["strict_subscribe"], !(strict is NSNull) {
            guard let flag = strict as? Bool else { throw APIError.invalidRequest("strict_subscribe must be true or false") }
            request.strictSubscribe = flag
        }
        return request
    }

    private static func optionalString(_ object: [String: Any], _ key: String) throws(APIError) -> String? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let text = value as? String else { throw APIError.invalidRequest("\(key) must be a string or null") }
        return text
    }

    /// `name=value` items for `CheckRequest.attributes`, which aclcheck's `--attr` also goes through.
    private static func attributes(_ value: Any?) throws(APIError) -> UserAttributes {
        guard let value, !(value is NSNull) else { return .none }
        switch value {
        case let object as [String: Any]:
            var items: [String] = []
            for (name, value) in object.sorted(by: { $0.key < $1.key }) {
                guard AttributeName.isValid(name) else {
                    throw APIError.invalidRequest("attribute name '\(name.printable)' must be lower-case letters, digits and '_', not starting with a digit")
                }
                let values: [String]
                switch value {
                case let one as String: values = [one]
                case let many as [Any] where many.allSatisfy({ $0 is String }): values = many.compactMap { $0 as? String }
                default: throw APIError.invalidRequest("attribute '\(name)' must be a string or an array of strings")
                }
                items += values.map { "\(name)=\($0)" }
            }
            do {
                return try CheckRequest.attributes(items)
            } catch {
                throw APIError.invalidRequest("attributes: \(error)")
            }
        default:
            throw APIError.invalidRequest("attributes must be an object of strings or arrays of strings")
        }
    }
}
