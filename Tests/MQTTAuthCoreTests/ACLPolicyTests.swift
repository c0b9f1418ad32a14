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
}
