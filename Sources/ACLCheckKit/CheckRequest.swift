import MQTTAuthCore

/// One question for the ACL, as given on the command line or in a batch line.
package struct CheckRequest: Sendable, Equatable {
    /// nil when no username (or an empty one) was given.
    package let user: String?
    /// nil when no client id (or an empty one) was given.
    package let clientID: String?
    package let topic: String
    package let access: Access
    /// The user's attributes (`--attr name=value`, or a batch line's fifth field).
    package let attributes: UserAttributes
    /// Decide a subscribe as brokers without a per-delivery check get it: refused when any deny
    /// rule overlaps the filter (`--strict-subscribe`).
    package var strictSubscribe = false

    package init(user: String?, clientID: String?, topic: String, access: Access, attributes: UserAttributes = .none) {
        self.user = user.flatMap { $0.isEmpty ? nil : $0 }
        self.clientID = clientID.flatMap { $0.isEmpty ? nil : $0 }
        self.topic = topic
        self.access = access
        self.attributes = attributes
    }

    package func decide(with acl: CompiledACL) -> Decision {
        acl.decide(user: user, clientID: clientID, topic: topic, access: access, attributes: attributes, strictSubscribe: strictSubscribe)
    }

    /// Attributes from `name=value` items (repeating a name adds a value, as an array claim
    /// does). An item without `=`, or with a name that is not `[a-z_][a-z0-9_]*`, is refused.
    package static func attributes(_ items: some Sequence<some StringProtocol>) throws(AttributeSyntaxError) -> UserAttributes {
        var values: [String: [String]] = [:]
        for item in items {
            guard let equals = item.firstIndex(of: "="), AttributeName.isValid(item[..<equals]) else {
                throw AttributeSyntaxError(item: String(item))
            }
            let value = String(item[item.index(after: equals)...])
            let name = String(item[..<equals])
            if !(values[name]?.contains(value) ?? false) { values[name, default: []].append(value) }
        }
        return UserAttributes(values)
    }
}

/// An attribute item that is not `name=value`.
package struct AttributeSyntaxError: Error, Sendable, CustomStringConvertible {
    package let item: String

    package var description: String {
        "an attribute must be name=value with a name of lower-case letters, digits and '_', not '\(item.printable)'"
    }
}
