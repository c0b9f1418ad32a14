/// What a client asks to do with a topic. Raw values are Mosquitto's access bits.
package enum Access: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// A message delivered to a subscriber (Mosquitto `MOSQ_ACL_READ`).
    case read = 1
    /// `MOSQ_ACL_WRITE`.
    case publish = 2
    /// `MOSQ_ACL_SUBSCRIBE`: the topic is a filter.
    case subscribe = 4
    /// `MOSQ_ACL_UNSUBSCRIBE`: always allowed.
    case unsubscribe = 8

    /// Accepts the names `aclcheck` and the HTTP API use.
    package init?(name: String) {
        switch name {
        case "read": self = .read
        case "publish", "write": self = .publish
        case "subscribe": self = .subscribe
        case "unsubscribe": self = .unsubscribe
        default: return nil
        }
    }

    package var description: String {
        switch self {
        case .read: "read"
        case .publish: "publish"
        case .subscribe: "subscribe"
        case .unsubscribe: "unsubscribe"
        }
    }
}
