import Foundation
import MQTTAuthCore
import TestSupport
import Testing

@Suite("Configuration loading")
struct ConfigLoaderTests {
    @Test func loadsRulesSuperusersAndFiles() throws {
        let folder = try TempFolder()
        try folder.write("aclfile", "user bob\ntopic read news/#\n")
        let config = try folder.write("mqtt-authd.yml", """
            listen: "127.0.0.1:8080"   # a daemon key, ignored here
            superusers: ["ops", "root"]
            acl:
              rules:
                - user: "%"
                  topic: "users/%u/#"
                  permission: pubsub
                - user: "agent-%"
                  topic: "agents/%u/#"
                  permission: write
              files:
                - aclfile
            """)
        let loaded = try ACLConfiguration.load(path: config)
        #expect(loaded.superusers == ["ops", "root"])
        #expect(loaded.rules.map(\.description) == [
            "user % topic users/%u/# pubsub",
            "user agent-% topic agents/%u/# publish",
            "user bob topic news/# subscribe",
        ])
        #expect(loaded.rules.map(\.source.description) == ["\(config):5", "\(config):8", "aclfile:2"])
        let acl = loaded.compile()
        #expect(acl.isAllowed(user: "agent-1", clientID: nil, topic: "agents/agent-1/x", access: .publish))
        #expect(acl.isAllowed(user: "bob", clientID: nil, topic: "news/today", access: .read))
    }

    @Test func emptyFileIsAnEmptyPolicy() throws {
        let folder = try TempFolder()
        let loaded = try ACLConfiguration.load(path: try folder.write("c.yml", "# nothing yet\n"))
        #expect(loaded.rules.isEmpty)
        #expect(!loaded.compile().isAllowed(user: "u", clientID: nil, topic: "a", access: .publish))
    }

    private func errors(_ yaml: String, files: [String: Data] = [:]) throws -> [String] {
        try ACLConfigErrors.of(yaml, files: files)
    }

    @Test func reportsEveryRuleErrorWithItsLine() throws {
        let found = try errors("""
            acl:
              rules:
                - user: "%"
                  topic: "a/#/b"
                  permission: pubsub
                - user: "%"
                  topic: "ok"
                  permission: pubsbu
                - user: "%"
                  topic: "dev-%u/x"
                  permission: publish
                - user: "%"
                  topic: "foo+"
                  permission: publish
                - user: "a%b"
                  topic: ""
                  permision: publish
            """)
        #expect(found == [
            "c.yml:4: invalid topic 'a/#/b': '#' must be a whole level and the last one",
            "c.yml:8: unknown permission 'pubsbu'; expected publish, write, subscribe, read, pubsub, readwrite or deny",
            "c.yml:10: topic 'dev-%u/x': a placeholder must be a whole level, not part of 'dev-%u'",
            "c.yml:13: invalid topic 'foo+': '+' must be a whole level",
            "c.yml:15: user selector 'a%b' may hold '%' only once, at the end ('%', 'name' or 'prefix%')",
            "c.yml:15: acl rule is missing 'permission'",
            "c.yml:16: invalid topic '': topic is empty",
            "c.yml:17: unknown key 'permision' in an acl rule (known keys: permission, topic, user, when)",
        ])
    }

    @Test func yamlSyntaxErrorsNameTheLine() throws {
        let found = try errors("acl:\n  rules:\n    - user: %\n      topic: x\n")
        #expect(found.count == 1)
        #expect(found[0].hasPrefix("c.yml:3: YAML syntax error"))
        #expect(found[0].contains("quote values that start with '%'"))
        let unclosed = try errors("superusers: [\"ops\"\nacl: {}\n")
        #expect(unclosed.count == 1)
        #expect(unclosed[0].hasPrefix("c.yml:"))
    }

    @Test func structuralErrors() throws {
        #expect(try errors("- a\n- b\n") == ["c.yml:1: the configuration file must be a mapping"])
        #expect(try errors("acl:\n  rulez: []\n") == [
            "c.yml:2: unknown key 'rulez' in acl (known keys: files, rules)",
        ])
        #expect(try errors("acl:\n  rules: nope\n") == ["c.yml:2: acl.rules must be a list"])
        #expect(try errors("superusers: ops\n") == ["c.yml:1: superusers must be a list"])
        #expect(try errors("acl:\n  rules:\n    - user: [a]\n      topic: x\n      permission: deny\n") == [
            "c.yml:3: user must be a single value, not a list or mapping",
        ])
    }

    @Test func aclFileProblems() throws {
        let missing = try errors("acl:\n  files:\n    - nothere\n")
        #expect(missing == ["c.yml:3: acl file 'nothere': cannot read file: no such file"])
        let badBytes = Data("topic read a\ntopic read b\ntopic read \u{FF}".utf8) + Data([0xFF, 0xFE])
        let notUTF8 = try errors("acl:\n  files:\n    - bad\n", files: ["bad": badBytes])
        #expect(notUTF8 == ["bad:3: file is not valid UTF-8 text"])
        let broken = try errors("acl:\n  files: [a1, a2]\n", files: [
            "a1": Data("topic read x/#/y\n".utf8),
            "a2": Data("\nfrob\n".utf8),
        ])
        #expect(broken.count == 2)
        #expect(broken[0].hasPrefix("a1:1: invalid topic"))
        #expect(broken[1].hasPrefix("a2:2: unknown directive 'frob'"))
    }

    @Test func configThatIsNotUTF8() throws {
        let folder = try TempFolder()
        let config = try folder.write("c.yml", Data("superusers: []\n# caf".utf8) + Data([0xE9, 0x0A]))
        #expect(throws: ConfigErrors.self) { try ACLConfiguration.load(path: config) }
        do {
            _ = try ACLConfiguration.load(path: config)
        } catch {
            #expect(error.description == "\(config):2: file is not valid UTF-8 text")
        }
    }

    @Test func missingConfig() {
        do {
            _ = try ACLConfiguration.load(path: "/nonexistent/c.yml")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "/nonexistent/c.yml: cannot read file: no such file")
        }
    }
}

/// ACL configurations written to a fresh folder and loaded, for the suites that expect errors.
enum ACLConfigErrors {
    /// Loads `yaml` (with optional extra files) and returns every diagnostic as
    /// `file:line: message`, the configuration itself named `c.yml`.
    static func of(_ yaml: String, files: [String: Data] = [:]) throws -> [String] {
        let folder = try TempFolder()
        for (name, data) in files { try folder.write(name, data) }
        let config = try folder.write("c.yml", yaml)
        do {
            _ = try ACLConfiguration.load(path: config)
        } catch {
            return error.diagnostics.map { diagnostic in
                let file = diagnostic.location.file == config ? "c.yml" : diagnostic.location.file
                return "\(file):\(diagnostic.location.line.map(String.init) ?? "-"): \(diagnostic.message)"
            }
        }
        Issue.record("expected configuration errors")
        return []
    }
}
