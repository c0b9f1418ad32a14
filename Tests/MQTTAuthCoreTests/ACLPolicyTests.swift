import Foundation
import MQTTAuthCore
import TestSupport
import Testing

/// The central policy's JSON (`ACLPolicy`): what a `synced` broker compiles must decide exactly
/// as the daemon's own rules do, and anything else must be refused.
@Suite("Central policy document")
struct ACLPolicyTests {
    /// Every kind of rule: config selectors, acl-file topic lines (anonymous clients),
    /// user blocks and pattern lines (every client).
    func configuration() throws -> ACLConfiguration {
        let folder = try TempFolder()
        try folder.write("aclfile", """
            topic read public/#
            topic write literal/x
            user bob
            topic readwrite bob/#
            pattern write devices/%c/status
            """)
        let config = try folder.write("mqtt-authd.yml", """
            superusers: ["ops"]
            acl:
              rules:
                - {user: "%", topic: "users/%u/#", permission: pubsub}
                - {user: "agent-%", topic: "agents/%u/#", permission: write}
                - {user: "eve", topic: "users/#", permission: deny}
              files: [aclfile]
            """)
        return try ACLConfiguration.load(path: config)
    }

    @Test func aDecodedPolicyDecidesAsTheOriginal() throws {
        let original = try configuration()
        let (version, body) = ACLPolicy.encode(original)
        #expect(version.count == 64)
        let (decodedVersion, decoded) = try ACLPolicy.decode(body)
        #expect(decodedVersion == version)
        #expect(decoded.superusers == original.superusers)
        #expect(decoded.rules.map(\.description) == original.rules.map(\.description))
        let (a, b) = (original.compile(), decoded.compile())
        var generator = SeededGenerator(seed: 7)
        let users: [String?] = [nil, "alice", "bob", "eve", "ops", "agent-7", "%u"]
        let clients: [String?] = [nil, "c1", "dev-9", "+"]
        let topics = ["users/alice/x", "users/eve/x", "public/news", "literal/x", "literal/alice", "bob/1", "devices/c1/status",
                      "devices/dev-9/status", "agents/agent-7/cmd", "$SYS/broker/uptime", "other"]
        for _ in 0..<3000 {
            let user = users.randomElement(using: &generator)!
            let client = clients.randomElement(using: &generator)!
            let topic = topics.randomElement(using: &generator)!
            let access = [Access.read, .publish, .subscribe].randomElement(using: &generator)!
            #expect(a.isAllowed(user: user, clientID: client, topic: topic, access: access)
                    == b.isAllowed(user: user, clientID: client, topic: topic, access: access),
                    "\(user ?? "-") \(client ?? "-") \(topic) \(access)")
        }
    }

    @Test func theVersionIsTheContentOnly() throws {
        let one = ACLPolicy.encode(try configuration())
        let two = ACLPolicy.encode(try configuration())
        #expect(one.version == two.version, "the same rules from other files have the same version")
        var changed = try configuration()
        changed.superusers.append("root")
        #expect(ACLPolicy.encode(changed).version != one.version)
    }

    @Test func anythingButAnIntactPolicyIsRefused() throws {
        let (_, body) = ACLPolicy.encode(try configuration())
        let text = String(decoding: body, as: UTF8.self)
        let broken = [
            "", "[]", "{}", "not json", #"{"superusers":[],"rules":[]}"#,
            text.replacingOccurrences(of: "users/%u/#", with: "users/#"),
            text.replacingOccurrences(of: #""pubsub""#, with: #""everything""#),
            text.replacingOccurrences(of: "users/%u/#", with: "users/#/x"),
            text.replacingOccurrences(of: #""user":"agent-%""#, with: #""clients":"robots""#),
            text.replacingOccurrences(of: #""ops""#, with: #""""#),
        ]
        for document in broken {
            #expect(throws: RuleError.self, "\(document.prefix(60))") { try ACLPolicy.decode(Data(document.utf8)) }
        }
    }

    /// `when` and `%{name}` travel in the policy and decide the same after decoding.
    @Test func attributeRulesRoundTrip() throws {
        let folder = try TempFolder()
        let config = try folder.write("mqtt-authd.yml", """
            providers:
              - {name: a, type: oidc, attributes: {org: org_id, roles: roles}}
            acl:
              rules:
                - {user: "%", topic: "orgs/%{org}/public/#", permission: subscribe}
                - {user: "%", topic: "orgs/%{org}/#", permission: pubsub, when: {roles: admin}}
                - {user: "%", topic: "orgs/%{org}/secret", permission: deny, when: {roles: intern, org: acme}}
                - {user: "agent-%", topic: "orgs/#", permission: subscribe, when: {org: beta}}
            """)
        let original = try ACLConfiguration.load(path: config)
        let (version, body) = ACLPolicy.encode(original)
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.contains(#""when":{"roles":"admin"}"#))
        #expect(text.contains(#""topic":"orgs/%{org}/#""#))
        let (decodedVersion, decoded) = try ACLPolicy.decode(body)
        #expect(decodedVersion == version)
        #expect(decoded.rules.map(\.description) == original.rules.map(\.description))
        #expect(decoded.rules.map(\.conditions) == original.rules.map(\.conditions))
        let (a, b) = (original.compile(), decoded.compile())
        var generator = SeededGenerator(seed: 11)
        let users = ["alice", "agent-7"]
        let attributeChoices: [UserAttributes] = [
            .none, UserAttributes(["org": ["acme"]]), UserAttributes(["org": ["acme"], "roles": ["admin"]]),
            UserAttributes(["org": ["acme"], "roles": ["intern", "admin"]]), UserAttributes(["org": ["beta", "a/b"], "roles": ["admin"]]),
            UserAttributes(["org": ["+"], "roles": ["intern"]]),
        ]
        let topics = ["orgs/acme/public/x", "orgs/acme/x", "orgs/acme/secret", "orgs/beta/secret", "orgs/beta/x", "orgs/+/secret", "orgs/#"]
        var allowed = 0
        for _ in 0..<3000 {
            let user = users.randomElement(using: &generator)!
            let attributes = attributeChoices.randomElement(using: &generator)!
            let topic = topics.randomElement(using: &generator)!
            let access = [Access.read, .publish, .subscribe].randomElement(using: &generator)!
            let verdict = a.isAllowed(user: user, clientID: nil, topic: topic, access: access, attributes: attributes)
            if verdict { allowed += 1 }
            #expect(verdict == b.isAllowed(user: user, clientID: nil, topic: topic, access: access, attributes: attributes),
                    "\(user) \(attributes.values) \(topic) \(access)")
        }
        #expect(allowed > 100 && allowed < 2900)
        let broken = text.replacingOccurrences(of: #""when":{"roles":"admin"}"#, with: #""when":{"Roles":"admin"}"#)
        #expect(throws: RuleError.self) { try ACLPolicy.decode(Data(broken.utf8)) }
        let stripped = text.replacingOccurrences(of: #","when":{"roles":"admin"}"#, with: "")
        #expect(throws: RuleError.self, "dropping a condition changes the version") { try ACLPolicy.decode(Data(stripped.utf8)) }
    }

    /// A policy without attributes reads as it did before `when` existed: no `when` key, so the
    /// same version as daemons and plugins of earlier releases compute.
    @Test func policiesWithoutAttributesKeepTheirShape() throws {
        let (_, body) = ACLPolicy.encode(try configuration())
        let text = String(decoding: body, as: UTF8.self)
        #expect(!text.contains("when"))
        let rule = ACLRule(selector: .anyUser, pattern: try TopicPattern(parsing: "a"), permission: .publish,
                           source: SourceLocation(file: "x", line: 1))
        let (version, _) = ACLPolicy.encode(ACLConfiguration(rules: [rule]))
        // The SHA-256 of {"rules":[{"permission":"publish","topic":"a","user":"%"}],"superusers":[]}.
        #expect(version == Self.knownVersion)
    }

    static let knownVersion = "d4647e24b8d9f292c6674cfa7e39405ef0dd970b95d578a65176a46d4ee33078"
}
