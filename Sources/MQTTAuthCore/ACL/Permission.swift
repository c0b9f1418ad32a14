/// What a rule grants, or `deny`, which wins over every grant that covers the same request.
package enum Permission: Sendable, Hashable, CustomStringConvertible {
    case publish
    /// Subscribing and receiving.
    case subscribe
    /// Publishing, subscribing and receiving.
    case pubsub
    case deny

    /// Config spellings and their Mosquitto-style aliases.
    package init?(name: String) {
        switch name {
        case "publish", "write": self = .publish
        case "subscribe", "read": self = .subscribe
        case "pubsub", "readwrite": self = .pubsub
        case "deny": self = .deny
        default: return nil
        }
    }

    /// The access bits this permission grants; `deny` grants none.
    package var grantedMask: UInt8 {
        switch self {
        case .publish: Access.publish.rawValue
        case .subscribe: Access.subscribe.rawValue | Access.read.rawValue
        case .pubsub: Access.publish.rawValue | Access.subscribe.rawValue | Access.read.rawValue
        case .deny: 0
        }
    }

    package func grants(_ access: Access) -> Bool { grantedMask & access.rawValue != 0 }

    package var description: String {
        switch self {
        case .publish: "publish"
        case .subscribe: "subscribe"
        case .pubsub: "pubsub"
        case .deny: "deny"
        }
    }

    static let validNames = "publish, write, subscribe, read, pubsub, readwrite or deny"
}
