/// The configuration most aclcheck tests decide against (README.md, "aclcheck"), and the lines
/// aclcheck prints for it. aclcheck names the configuration as it was given (`config.yml` from
/// its folder, or a full path) and acl files as the configuration lists them.
package enum ACLCheckFixture {
    /// `config.yml`. Line 4: `users/%u/#` pubsub for every user. Line 7: `users/%u/secret` deny.
    package static let config = """
        superusers: ["ops"]
        acl:
          rules:
            - user: "%"
              topic: "users/%u/#"
              permission: pubsub
            - user: "%"
              topic: "users/%u/secret"
              permission: deny
          files:
            - aclfile
        """

    /// `aclfile`, beside `config.yml`. Line 2: anonymous clients may subscribe to and receive
    /// `public/#`. Line 4: alice may publish `alice/out`. Line 5: every client may subscribe to its
    /// own `devices/%c/state`.
    package static let aclFile = """
        # Mosquitto acl_file syntax
        topic read public/#
        user alice
        topic write alice/out
        pattern read devices/%c/state

        """

    /// A named user on a topic of their own, for any access.
    package static func ownTopicAllow(config: String = "config.yml") -> String {
        "allow rule 'user % topic users/%u/# pubsub' at \(config):4"
    }

    /// A named user on their own `secret` topic, for any access.
    package static func secretDeny(config: String = "config.yml") -> String {
        "deny rule 'user % topic users/%u/secret deny' at \(config):7"
    }

    package static let defaultDeny = "deny no rule matched (default deny)"

    /// A client without a username reading or subscribing under `public/`.
    package static let anonymousPublicAllow = "allow rule 'user (anonymous) topic public/# subscribe' at aclfile:2"
}
