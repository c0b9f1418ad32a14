import Foundation
import MQTTAuthPluginCore
import TestSupport
import Testing

@Suite("Plugin options")
struct PluginOptionsTests {
    @Test func defaultsNeedOnlyTheConfig() throws {
        let options = try PluginOptions([("config", "/etc/mqtt-authd/mqtt-authd.yml")])
        #expect(options.url == "http://127.0.0.1:8080")
        #expect(options.aclMode == .local)
        #expect(options.timeoutMilliseconds == 1000)
        #expect(options.configPath == "/etc/mqtt-authd/mqtt-authd.yml")
    }

    @Test func httpModeNeedsNoConfigAndTrailingSlashesGo() throws {
        let options = try PluginOptions([("acl", "http"), ("url", "https://auth.internal:9443/base/"), ("timeout_ms", "250")])
        #expect(options.aclMode == .http)
        #expect(options.url == "https://auth.internal:9443/base")
        #expect(options.timeoutMilliseconds == 250)
        #expect(options.configPath == nil)
    }

    @Test func everyProblemIsReportedAtOnce() {
        #expect {
            try PluginOptions([("acl", "maybe"), ("timeout_ms", "-1"), ("url", "127.0.0.1:8080"), ("colour", "blue"), ("acl", "http")])
        } throws: { error in
            guard let error = error as? PluginOptionsError else { return false }
            // ... and, since acl fell back to local, the missing config.
            return error.problems.count == 6
                && error.problems.contains { $0.contains("plugin_opt_config is required") }
                && error.problems.contains { $0.contains("plugin_opt_acl must be local, http or synced") }
                && error.problems.contains { $0.contains("plugin_opt_timeout_ms") }
                && error.problems.contains { $0.contains("plugin_opt_url") }
                && error.problems.contains { $0.contains("unknown option plugin_opt_colour") }
                && error.problems.contains { $0.contains("more than once") }
        }
    }

    @Test(arguments: ["", "http://", "ftp://h", "http://h:0", "http://h:70000", "http://h/?q=1", "http://h/#f", "http://u:p@h"])
    func badURLs(_ url: String) {
        #expect(throws: PluginOptionsError.self) { try PluginOptions([("url", url), ("acl", "http")]) }
    }

    @Test func aURLPasswordIsNeverRepeated() {
        do {
            _ = try PluginOptions([("url", "http://admin:hunter2@h:1"), ("acl", "http")])
            Issue.record("accepted a URL with a password")
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }

    @Test func severalDaemonsATokenFileAndSyncedMode() throws {
        let folder = try TempFolder("plugin-token")
        let tokenFile = try folder.write("token", "broker-token-0123456789abcdef\n")
        let options = try PluginOptions([
            ("url", "http://10.0.0.1:8080, https://auth-b.internal:9443/"), ("acl", "synced"), ("token_file", tokenFile),
        ])
        #expect(options.urls == ["http://10.0.0.1:8080", "https://auth-b.internal:9443"])
        #expect(options.url == "http://10.0.0.1:8080")
        #expect(options.aclMode == .synced)
        #expect(options.configPath == nil, "synced mode needs no config file on the broker host")
        #expect(options.token == "broker-token-0123456789abcdef")
    }

    @Test func aTokenFileMustHoldOneToken() throws {
        let folder = try TempFolder("plugin-token")
        for content in ["", "\n", "two words\n", "a\nb\n"] {
            let file = try folder.write("token", content)
            #expect(throws: PluginOptionsError.self, "\(content.debugDescription)") { try PluginOptions([("acl", "http"), ("token_file", file)]) }
        }
    }
}
