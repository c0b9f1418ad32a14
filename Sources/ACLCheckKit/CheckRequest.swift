import MQTTAuthCore

/// One question for the ACL, as given on the command line or in a batch line.
package struct CheckRequest: Sendable, Equatable {
    /// nil when no username (or an empty one) was given.
    package let user: String?
    /// nil when no client id (or an empty one) was given.
    package let clientID: String?
    package let topic: String
    package let access: Access

    package init(user: String?, clientID: String?, topic: String, access: Access) {
        self.user = user.flatMap { $0.isEmpty ? nil : $0 }
        self.clientID = clientID.flatMap { $0.isEmpty ? nil : $0 }
        self.topic = topic
        self.access = access
    }

    package func decide(with acl: CompiledACL) -> Decision {
        acl.decide(user: user, clientID: clientID, topic: topic, access: access)
    }
}
