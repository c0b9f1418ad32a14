import ACLCheckKit
import Testing

/// A configuration (`config.yml`) plus acl files that do not load, and the errors aclcheck prints.
struct ConfigCase: Sendable, CustomTestStringConvertible {
    let name: String
    /// `config.yml`, as bytes so that it can be invalid UTF-8.
    let yaml: [UInt8]
    /// acl files by name, as bytes for the same reason.
    let files: [String: [UInt8]]
    /// Every line of standard error, after `error: `. A leading `config.yml:` stands for the
    /// configuration's full path; acl files are named as the configuration lists them.
    let expected: [String]

    init(name: String, yaml: String, files: [String: [UInt8]] = [:], expected: [String]) {
        self.init(name: name, yamlBytes: Array(yaml.utf8), files: files, expected: expected)
    }

    init(name: String, yamlBytes: [UInt8], files: [String: [UInt8]] = [:], expected: [String]) {
        self.name = name
        self.yaml = yamlBytes
        self.files = files
        self.expected = expected
    }

    var testDescription: String { name }

    /// The lines of standard error when `config.yml` is `config`.
    func stderrLines(config: String) -> [Substring] {
        expected.map { line in
            let named = line.hasPrefix("config.yml:") ? config + line.dropFirst("config.yml".count) : line
            return Substring("error: " + named)
        }
    }
}

/// A configuration that does not load is 2, before any check, with each error's file and line.
@Suite("aclcheck configuration errors")
struct ConfigErrorTests {
    let workspace: Workspace

    init() throws {
        workspace = try Workspace()
    }

    static let badConfigs: [ConfigCase] = [
        ConfigCase(
            name: "'#' not last",
            yaml: """
                acl:
                  rules:
                    - user: "%"
                      topic: "a/#/b"
                      permission: pubsub
                """,
            expected: ["config.yml:4: invalid topic 'a/#/b': '#' must be a whole level and the last one"]
        ),
        ConfigCase(
            name: "'+' not a whole level",
            yaml: """
                acl:
                  rules:
                    - user: "%"
                      topic: "foo+"
                      permission: pubsub
                """,
            expected: ["config.yml:4: invalid topic 'foo+': '+' must be a whole level"]
        ),
        ConfigCase(
            name: "empty topic",
            yaml: """
                acl:
                  rules:
                    - user: "%"
                      topic: ""
                      permission: pubsub
                """,
            expected: ["config.yml:4: invalid topic '': topic is empty"]
        ),
        ConfigCase(
            name: "unknown permission",
            yaml: """
                acl:
                  rules:
                    - user: "%"
                      topic: "a"
                      permission: pubsbu
                """,
            expected: ["config.yml:5: unknown permission 'pubsbu'; expected publish, write, subscribe, read, pubsub, readwrite or deny"]
        ),
        ConfigCase(
            name: "partial-level placeholder",
            yaml: """
                acl:
                  rules:
                    - user: "%"
                      topic: "dev-%u/state"
                      permission: publish
                """,
            expected: ["config.yml:4: topic 'dev-%u/state': a placeholder must be a whole level, not part of 'dev-%u'"]
        ),
        ConfigCase(
            name: "missing acl file",
            yaml: """
                acl:
                  rules: []
                  files:
                    - present.acl
                    - missing.acl
                """,
            files: ["present.acl": Array("topic a\n".utf8)],
            expected: ["config.yml:5: acl file 'missing.acl': cannot read file: no such file"]
        ),
        ConfigCase(
            name: "acl file not UTF-8",
            yaml: """
                acl:
                  files:
                    - bad.acl
                """,
            files: ["bad.acl": Array("topic a\ntopic b\ntopic c".utf8) + [0xFF, 0xFE] + Array("\ntopic d\n".utf8)],
            expected: ["bad.acl:3: file is not valid UTF-8 text"]
        ),
        ConfigCase(
            name: "invalid filter in acl file",
            yaml: """
                acl:
                  files:
                    - x.acl
                """,
            files: ["x.acl": Array("# rules\n\ntopic read ok/#\npattern write dev-%u\n".utf8)],
            expected: ["x.acl:4: topic 'dev-%u': a placeholder must be a whole level, not part of 'dev-%u'"]
        ),
        ConfigCase(
            name: "YAML syntax error",
            yaml: """
                superusers: ["ops"]
                acl:
                  rules:
                    - user: "%"
                      topic: "a"
                     permission: deny
                """,
            expected: ["config.yml:6: YAML syntax error: did not find expected '-' indicator"]
        ),
        ConfigCase(
            name: "unquoted % in YAML",
            yaml: """
                acl:
                  rules:
                    - user: %
                      topic: "a"
                      permission: deny
                """,
            expected: [
                "config.yml:3: YAML syntax error: found character that cannot start any token (quote values that start with '%', '@' or '`', e.g. user: \"%\")"
            ]
        ),
        ConfigCase(
            name: "config not UTF-8",
            // A Latin-1 "café" in a comment on line 3.
            yamlBytes: Array("acl:\n  rules: []\n# caf".utf8) + [0xE9] + Array("\n".utf8),
            expected: ["config.yml:3: file is not valid UTF-8 text"]
        ),
    ]

    @Test(arguments: badConfigs)
    func badConfigFailsWithFileAndLine(_ config: ConfigCase) throws {
        try workspace.write("config.yml", config.yaml)
        for (name, bytes) in config.files { try workspace.write(name, bytes) }
        for access in ["publish", "subscribe"] {
            let run = workspace.run(["--user", "bob", "--topic", "a", "--access", access])
            #expect(run.status == .failed, "\(run)")
            #expect(run.stdout.isEmpty, "\(run)")
            #expect(run.stderrLines == config.stderrLines(config: workspace.config), "\(run)")
        }
        // --lint prints the same errors and counts them.
        let lint = workspace.run(["--lint"])
        #expect(lint.status == .failed, "\(lint)")
        #expect(lint.stdout.isEmpty, "\(lint)")
        #expect(lint.stderrLines == config.stderrLines(config: workspace.config) + ["1 error(s)"], "\(lint)")
    }

    @Test func missingConfigFileFails() {
        let config = workspace.path("nowhere.yml")
        let run = aclcheck(["--config", config, "--user", "bob", "--topic", "a", "--access", "publish"])
        #expect(run.status == .failed, "\(run)")
        #expect(run.stderr == "error: \(config): cannot read file: no such file\n", "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
    }

    @Test func lintReportsEveryErrorInFileOrder() throws {
        try workspace.write("config.yml", """
            superusers: ["ops", ""]
            acl:
              rules:
                - user: "%"
                  topic: "a/#/b"
                  permission: pubsub
                - user: "%"
                  topic: "ok/%u"
                  permission: pubsbu
                - user: "a%b%"
                  topic: "dev-%u"
                  permission: deny
                - user: "%"
                  topic: "fine/#"
                  permission: read
              files:
                - x.acl
                - missing.acl
            """)
        try workspace.write("x.acl", """
            topic a/#/b
            user
            foo bar
            pattern read dev-%u
            topic read fine

            """)
        let run = workspace.run(["--lint"])
        #expect(run.status == .failed, "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
        let config = workspace.config
        #expect(run.stderrLines == [
            "error: \(config):1: superusers holds an empty name",
            "error: \(config):5: invalid topic 'a/#/b': '#' must be a whole level and the last one",
            "error: \(config):9: unknown permission 'pubsbu'; expected publish, write, subscribe, read, pubsub, readwrite or deny",
            "error: \(config):10: user selector 'a%b%' may hold '%' only once, at the end ('%', 'name' or 'prefix%')",
            "error: \(config):11: topic 'dev-%u': a placeholder must be a whole level, not part of 'dev-%u'",
            "error: \(config):18: acl file 'missing.acl': cannot read file: no such file",
            "error: x.acl:1: invalid topic 'a/#/b': '#' must be a whole level and the last one",
            "error: x.acl:2: 'user' needs a username",
            "error: x.acl:3: unknown directive 'foo'; expected user, topic or pattern",
            "error: x.acl:4: topic 'dev-%u': a placeholder must be a whole level, not part of 'dev-%u'",
            "10 error(s)",
        ], "\(run)")
    }

    @Test func lintOfAGoodConfigIsOk() throws {
        try workspace.writeStandardConfig()
        let run = workspace.run(["--lint"])
        #expect(run.status == .ok, "\(run)")
        #expect(run.stdout == "ok: 5 rule(s), 1 superuser(s)\n", "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
    }
}
