import ACLCheckKit
import Foundation
import TestSupport
import Testing

/// One request on the command line: the decision line (or JSON), and 0 for allow, 1 for deny.
@Suite("aclcheck single checks")
struct SingleCheckTests {
    let workspace: Workspace

    init() throws {
        workspace = try Workspace()
        try workspace.writeStandardConfig()
    }

    @Test func allowIsOkAndNamesTheRuleAndItsSource() {
        let own = workspace.check("bob", "users/bob/inbox", "publish")
        #expect(own.status == .ok, "\(own)")
        #expect(own.stdout == workspace.ownTopicAllow + "\n", "\(own)")
        #expect(own.stderr.isEmpty, "\(own)")

        let fromFile = workspace.check("alice", "alice/out", "publish")
        #expect(fromFile.status == .ok, "\(fromFile)")
        #expect(fromFile.stdout == "allow rule 'user alice topic alice/out publish' at aclfile:4\n", "\(fromFile)")

        let pattern = workspace.check("bob", "devices/dev-7/state", "subscribe", clientID: "dev-7")
        #expect(pattern.status == .ok, "\(pattern)")
        #expect(pattern.stdout == "allow rule 'user (every client) topic devices/%c/state subscribe' at aclfile:5\n", "\(pattern)")
        #expect(!pattern.readInput)
    }

    @Test func sourcesAreNamedAsGiven() throws {
        try workspace.write("conf/main.yml", ACLCheckFixture.config)
        try workspace.write("conf/aclfile", ACLCheckFixture.aclFile)
        let config = workspace.path("conf/main.yml")
        // The acl file is found relative to the config's folder, and named as the config lists it.
        let run = aclcheck(["--config", config, "--user", "carol", "--topic", "users/carol/x", "--access", "read"])
        #expect(run.status == .ok, "\(run)")
        #expect(run.stdout == ACLCheckFixture.ownTopicAllow(config: config) + "\n", "\(run)")
        let anonymous = aclcheck(["--config", config, "--topic", "public/news", "--access", "read"])
        #expect(anonymous.status == .ok, "\(anonymous)")
        #expect(anonymous.stdout == ACLCheckFixture.anonymousPublicAllow + "\n", "\(anonymous)")
    }

    @Test(arguments: ["publish", "subscribe", "read"])
    func denyRuleWinsForEveryAccess(_ access: String) {
        // The deny rule wins over the pubsub rule that also covers the topic.
        let run = workspace.check("bob", "users/bob/secret", access)
        #expect(run.status == .denied, "\(run)")
        #expect(run.stdout == workspace.secretDeny + "\n", "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
    }

    @Test func noMatchingRuleIsDefaultDeny() {
        let others = workspace.check("bob", "users/alice/inbox", "publish")
        #expect(others.status == .denied, "\(others)")
        #expect(others.stdout == ACLCheckFixture.defaultDeny + "\n", "\(others)")
        // alice may publish alice/out, not subscribe to it.
        let wrongAccess = workspace.check("alice", "alice/out", "subscribe")
        #expect(wrongAccess.status == .denied, "\(wrongAccess)")
        #expect(wrongAccess.stdout == ACLCheckFixture.defaultDeny + "\n", "\(wrongAccess)")
        // A user with a name is not the anonymous client of the acl file's first topic line.
        let named = workspace.check("bob", "public/news", "read")
        #expect(named.status == .denied, "\(named)")
        #expect(named.stdout == ACLCheckFixture.defaultDeny + "\n", "\(named)")
        // An empty --user is a client without a username.
        let empty = workspace.check("", "public/news", "read")
        #expect(empty.status == .ok, "\(empty)")
        #expect(empty.stdout == ACLCheckFixture.anonymousPublicAllow + "\n", "\(empty)")
    }

    @Test func invalidPublishTopicIsDeniedNotAnError() {
        let run = workspace.check("bob", "users/bob/+", "publish")
        #expect(run.status == .denied, "\(run)")
        #expect(run.stdout == "deny invalid topic: a topic name cannot contain '+' or '#'\n", "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
    }

    @Test func superuserIsAllowedEverything() {
        for (topic, access) in [("#", "subscribe"), ("users/bob/secret", "publish"), ("$SYS/broker/uptime", "read")] {
            let run = workspace.check("ops", topic, access)
            #expect(run.status == .ok, "\(topic) \(access): \(run)")
            #expect(run.stdout == "allow superuser\n", "\(topic) \(access): \(run)")
        }
        // Only that exact name.
        let almost = workspace.check("ops2", "#", "subscribe")
        #expect(almost.status == .denied, "\(almost)")
        #expect(almost.stdout == ACLCheckFixture.defaultDeny + "\n", "\(almost)")
    }

    @Test func jsonIsOneLineWithSortedKeysAndPlainSlashes() {
        let run = workspace.check("bob", "users/bob/inbox", "publish", clientID: "c-1", json: true)
        #expect(run.status == .ok, "\(run)")
        let config = workspace.config
        #expect(run.stdout == """
            {"access":"publish","clientid":"c-1","message":"\(workspace.ownTopicAllow)","reason":"rule",\
            "result":"allow","rules":[{"permission":"pubsub","source":"\(config):4","topic":"users/%u/#",\
            "user":"%"}],"topic":"users/bob/inbox","user":"bob"}

            """, "\(run)")
        // Without a username or client id, neither key is printed.
        let anonymous = aclcheck(["--config", config, "--topic", "x", "--access", "read", "--json"])
        #expect(anonymous.status == .denied, "\(anonymous)")
        #expect(anonymous.stdout == """
            {"access":"read","message":"deny no rule matched (default deny)","reason":"default","result":"deny","rules":[],"topic":"x"}

            """, "\(anonymous)")
    }

    @Test func jsonNamesTheReasonAndTheDecidingRules() throws {
        let deny = workspace.check("bob", "users/bob/secret", "read", json: true)
        #expect(deny.status == .denied, "\(deny)")
        let denied = try JSONDecoder().decode(JSONDecision.self, from: Data(deny.stdout.utf8))
        #expect(denied.result == "deny")
        #expect(denied.reason == "rule")
        #expect(denied.access == "read")
        #expect(denied.message == workspace.secretDeny)
        #expect(denied.rules.map(\.source) == ["\(workspace.config):7"])
        #expect(denied.rules.map(\.permission) == ["deny"])

        let superuser = workspace.check("ops", "#", "subscribe", json: true)
        #expect(superuser.status == .ok, "\(superuser)")
        let allowedSuperuser = try JSONDecoder().decode(JSONDecision.self, from: Data(superuser.stdout.utf8))
        #expect(allowedSuperuser.result == "allow")
        #expect(allowedSuperuser.reason == "superuser")
        #expect(allowedSuperuser.rules.isEmpty)

        let invalid = workspace.check("bob", "a/#/b", "subscribe", json: true)
        #expect(invalid.status == .denied, "\(invalid)")
        let deniedInvalid = try JSONDecoder().decode(JSONDecision.self, from: Data(invalid.stdout.utf8))
        #expect(deniedInvalid.result == "deny")
        #expect(deniedInvalid.reason == "invalid_topic")
    }

    /// `--strict-subscribe`: the subscribe EMQX, RabbitMQ and VerneMQ get, refused because the
    /// deny on `users/%u/secret` overlaps `users/bob/#`; without the flag, Mosquitto's allow.
    @Test func strictSubscribeNamesTheOverlappingDeny() {
        let lenient = workspace.check("bob", "users/bob/#", "subscribe")
        #expect(lenient.status == .ok, "\(lenient)")
        let strict = workspace.run(["--user", "bob", "--topic", "users/bob/#", "--access", "subscribe", "--strict-subscribe"])
        #expect(strict.status == .denied, "\(strict)")
        #expect(strict.stdout.contains("overlaps rule 'user % topic users/%u/secret deny'"), "\(strict)")
        let batch = workspace.run(["--batch", "-", "--strict-subscribe"], stdin: "subscribe\tbob\t\tusers/bob/#\nsubscribe\tbob\t\tusers/bob/inbox/#\n")
        #expect(batch.stdout.split(separator: "\n").map { $0.hasPrefix("allow") } == [false, true], "\(batch)")
    }
}
