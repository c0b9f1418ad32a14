import ACLCheckKit
import Foundation
import MQTTAuthCore
import Testing

/// `--attr name=value` and a batch line's fifth field (README "aclcheck").
@Suite("aclcheck with attributes")
struct AttributeTests {
    static let config = """
        providers:
          - name: app
            type: supabase
            project_url: "https://app.supabase.co"
            attributes: {org: app_metadata.org_id, roles: app_metadata.roles}
        acl:
          rules:
            - {user: "%", topic: "orgs/%{org}/public/#", permission: subscribe}
            - {user: "%", topic: "orgs/%{org}/#", permission: pubsub, when: {roles: admin}}
        """

    func workspace() throws -> Workspace {
        let workspace = try Workspace()
        try workspace.write("config.yml", Self.config)
        return workspace
    }

    @Test func attributesDecideSingleChecks() throws {
        let workspace = try workspace()
        func check(_ topic: String, _ access: String, _ attributes: [String]) -> ACLCheckStatus {
            workspace.run(["--user", "u1", "--topic", topic, "--access", access] + attributes.flatMap { ["--attr", $0] }).status
        }
        #expect(check("orgs/acme/public/news", "subscribe", ["org=acme"]) == .ok)
        #expect(check("orgs/globex/public/news", "subscribe", ["org=acme"]) == .denied)
        #expect(check("orgs/acme/public/news", "subscribe", []) == .denied, "an unset attribute grants nothing")
        #expect(check("orgs/acme/admin", "publish", ["org=acme"]) == .denied)
        #expect(check("orgs/acme/admin", "publish", ["org=acme", "roles=dev", "roles=admin"]) == .ok, "repeating a name adds a value")
        let run = workspace.run(["--user", "u1", "--topic", "orgs/acme/admin", "--access", "publish", "--attr", "org=acme", "--attr", "roles=admin"])
        #expect(run.stdout.contains("when roles=admin"), "\(run)")
    }

    @Test(arguments: ["org", "=acme", "Org=acme", "9=x"])
    func malformedAttributesAreBadUsage(_ item: String) throws {
        let run = try workspace().run(["--user", "u1", "--topic", "orgs/acme/x", "--access", "publish", "--attr", item])
        #expect(run.status == .failed)
        #expect(run.stderrLines.first?.contains("--attr: an attribute must be name=value") == true, "\(run)")
    }

    @Test func batchLinesTakeAttributesInAFifthField() throws {
        let workspace = try workspace()
        let run = workspace.run(["--batch", "-"], stdin: """
            subscribe\tu1\t\torgs/acme/public/#\torg=acme
            subscribe\tu1\t\torgs/acme/public/#
            publish\tu1\t\torgs/acme/admin\torg=acme;roles=dev;roles=admin
            publish\tu1\t\torgs/acme/admin\torg=acme;roles=dev
            publish\tu1\t\torgs/acme/a\tb

            """)
        #expect(run.status == .ok, "\(run)")
        #expect(run.stdoutLines.map { $0.prefix(5) } == ["allow", "deny ", "allow", "deny ", "deny "])
        let parsed = try BatchCheck.parse("publish\tu1\t\torgs/acme/a\tb\nread\tu1\t\tx\tteam=a;team=b\n", name: "cases")
        #expect(parsed.map(\.topic) == ["orgs/acme/a\tb", "x"], "a last part that is not attributes stays in the topic")
        #expect(parsed[1].attributes == UserAttributes(["team": ["a", "b"]]))
    }
}
