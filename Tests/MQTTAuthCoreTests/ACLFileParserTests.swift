import MQTTAuthCore
import Testing

@Suite("Mosquitto acl_file syntax")
struct ACLFileParserTests {
    @Test func parsesBlocksPatternsAndComments() throws {
        let text = """
            # anonymous clients
            topic read public/#

            user alice
            topic write alerts/#
              topic   deny   alerts/admin\r
            topic read a topic with spaces
            pattern read devices/%c/status
            pattern %u/#
            user bob
            topic readwrite bob/#
            """
        let result = ACLFileParser.parse(text, name: "aclfile")
        #expect(result.diagnostics.isEmpty)
        let rules = result.rules.map { "\($0.source.line!) \($0.selector) | \($0.pattern) | \($0.permission)" }
        #expect(rules == [
            "2 (anonymous) | public/# | subscribe",
            "5 alice | alerts/# | publish",
            "6 alice | alerts/admin | deny",
            "7 alice | a topic with spaces | subscribe",
            "8 (every client) | devices/%c/status | subscribe",
            "9 (every client) | %u/# | pubsub",
            "11 bob | bob/# | pubsub",
        ])
        #expect(result.rules.allSatisfy { $0.source.file == "aclfile" })
    }

    @Test func patternsApplyToEveryClient() throws {
        let parsed = ACLFileParser.parse("pattern read devices/%c/#\npattern readwrite users/%u/#\n", name: "f")
        let acl = CompiledACL(superusers: [], rules: parsed.rules)
        #expect(acl.isAllowed(user: nil, clientID: "c1", topic: "devices/c1/x", access: .read))
        #expect(acl.isAllowed(user: "alice", clientID: "c1", topic: "users/alice/x", access: .publish))
        #expect(!acl.isAllowed(user: nil, clientID: "c1", topic: "users/alice/x", access: .publish))
    }

    @Test func reportsEveryErrorWithItsLine() {
        let text = """
            topic read ok/#
            topic write a/#/b
            topic foo+
            user
            topic read users/%u/#
            pattern dev-%u/x
            pattern reads x/y
            frobnicate x
            topic readonly x
            """
        let result = ACLFileParser.parse(text, name: "acl.conf")
        #expect(result.rules.count == 1)
        let lines = result.diagnostics.map { $0.location.line! }
        #expect(lines == [2, 3, 4, 5, 6, 7, 8, 9])
        let messages = result.diagnostics.map(\.description)
        #expect(messages[0].hasPrefix("acl.conf:2: invalid topic 'a/#/b'"))
        #expect(messages[2] == "acl.conf:4: 'user' needs a username")
        #expect(messages[3].contains("acl_file 'topic' lines take none, use 'pattern'"))
        #expect(messages[4].contains("a placeholder must be a whole level"))
        #expect(messages[6] == "acl.conf:8: unknown directive 'frobnicate'; expected user, topic or pattern")
        #expect(messages[5] == "acl.conf:7: invalid access 'reads'; expected read, write, readwrite or deny")
        #expect(messages[7] == "acl.conf:9: invalid access 'readonly'; expected read, write, readwrite or deny")
    }

    @Test func anAccessWordAloneIsTheTopic() {
        // Mosquitto reads `topic read` as the topic "read" with readwrite access.
        let result = ACLFileParser.parse("topic read", name: "f")
        #expect(result.rules.first?.pattern.description == "read")
        #expect(result.rules.first?.permission == .pubsub)
    }
}
