import Foundation
import MQTTAuthCore
import TestSupport
import Testing

/// `%{name}` and `when:` in the configuration: declared names, errors with their lines.
@Suite("Attribute rules in the configuration")
struct AttributeConfigTests {
    static let providers = """
        providers:
          - name: auth0
            type: auth0
            attributes: {org: app_metadata.org_id, roles: app_metadata.roles}
          - {name: other, type: oidc, attributes: {team: team}}
          - {name: plain, type: oidc}

        """

    private func errors(_ yaml: String, files: [String: String] = [:]) throws -> [String] {
        try ACLConfigErrors.of(yaml, files: files.mapValues { Data($0.utf8) })
    }

    @Test func loadsAttributeRulesAndTheDeclaredNames() throws {
        let folder = try TempFolder()
        let config = try folder.write("c.yml", Self.providers + """
            acl:
              rules:
                - {user: "%", topic: "orgs/%{org}/public/#", permission: subscribe}
                - {user: "%", topic: "orgs/%{org}/#", permission: pubsub, when: {roles: admin}}
                - user: "%"
                  topic: "teams/%{team}/#"
                  permission: deny
                  when: {roles: intern, org: acme}
            """)
        let loaded = try ACLConfiguration.load(path: config)
        #expect(loaded.declaredAttributes == ["org", "roles", "team"])
        #expect(loaded.rules.map(\.description) == [
            "user % topic orgs/%{org}/public/# subscribe",
            "user % topic orgs/%{org}/# pubsub when roles=admin",
            "user % topic teams/%{team}/# deny when org=acme, roles=intern",
        ])
        #expect(loaded.rules.map(\.source.line) == [9, 10, 11])
        let acl = loaded.compile()
        let admin = UserAttributes(["org": ["acme"], "roles": ["admin"]])
        let member = UserAttributes(["org": ["acme"], "roles": ["dev"]])
        #expect(acl.isAllowed(user: "u", clientID: nil, topic: "orgs/acme/x", access: .publish, attributes: admin))
        #expect(!acl.isAllowed(user: "u", clientID: nil, topic: "orgs/acme/x", access: .publish, attributes: member))
        #expect(acl.isAllowed(user: "u", clientID: nil, topic: "orgs/acme/public/x", access: .read, attributes: member))
        #expect(!acl.isAllowed(user: "u", clientID: nil, topic: "orgs/beta/public/x", access: .read, attributes: member))
    }

    @Test func noProvidersDeclareNothing() throws {
        let folder = try TempFolder()
        let loaded = try ACLConfiguration.load(path: try folder.write("c.yml", "providers: nope\nacl: {rules: []}\n"))
        #expect(loaded.declaredAttributes.isEmpty)
    }

    @Test func reportsAttributeErrorsWithTheirLines() throws {
        let found = try errors(Self.providers + """
            acl:
              rules:
                - {user: "%", topic: "orgs/%{country}/#", permission: pubsub}
                - {user: "%", topic: "orgs/x%{org}/#", permission: pubsub}
                - {user: "%", topic: "orgs/%{Org}/#", permission: pubsub}
                - {user: "%", topic: "orgs/#", permission: pubsub, when: {plan: gold}}
                - {user: "%", topic: "orgs/#", permission: pubsub, when: {roles: [admin, dev]}}
                - {user: "%", topic: "orgs/#", permission: pubsub, when: admin}
                - {user: "%", topic: "orgs/#", permission: pubsub, when: {}}
                - {user: "%", topic: "orgs/#", permission: pubsub, when: {Roles: admin}}
                - {user: "%", topic: "orgs/%{org", permission: pubsub}
            """)
        #expect(found == [
            "c.yml:9: attribute 'country' is not declared: add it to the attributes of a provider",
            "c.yml:10: topic 'orgs/x%{org}/#': an attribute placeholder must be a whole level '%{name}', not part of 'x%{org}'",
            "c.yml:11: topic 'orgs/%{Org}/#': 'Org' is not an attribute name ([a-z_][a-z0-9_]*)",
            "c.yml:12: attribute 'plan' is not declared: add it to the attributes of a provider",
            "c.yml:13: when.roles must be a single value, not a list or mapping",
            "c.yml:14: when must be a mapping",
            "c.yml:15: when holds no condition; give attribute: value, or leave it out",
            "c.yml:16: 'Roles' in when is not an attribute name ([a-z_][a-z0-9_]*)",
            "c.yml:17: topic 'orgs/%{org': an attribute placeholder must be a whole level '%{name}', not part of '%{org'",
        ])
    }

    @Test func undeclaredWithoutAnyProvider() throws {
        let found = try errors("acl:\n  rules:\n    - {user: \"%\", topic: \"a/%{org}\", permission: pubsub}\n")
        #expect(found == ["c.yml:3: attribute 'org' is not declared: add it to the attributes of a provider"])
    }

    @Test func aclFilesRefuseAttributePlaceholders() throws {
        let found = try errors(Self.providers + "acl:\n  files: [aclfile]\n", files: [
            "aclfile": "pattern write orgs/%{org}/x\nuser bob\ntopic read orgs/%{org}/y\npattern read ok/%u\n",
        ])
        #expect(found == [
            "aclfile:1: topic 'orgs/%{org}/x': attribute placeholders are for acl.rules only",
            "aclfile:3: topic 'orgs/%{org}/y': attribute placeholders are for acl.rules only",
        ])
    }
}
