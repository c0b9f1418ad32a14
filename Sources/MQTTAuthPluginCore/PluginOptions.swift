#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MQTTAuthCore

/// The plugin's settings, from the `plugin_opt_<key> <value>` lines of `mosquitto.conf`.
///
/// | key | default | meaning |
/// |---|---|---|
/// | `url` | `http://127.0.0.1:8080` | the daemon's base URL, or several, comma-separated (failover) |
/// | `config` | — | the daemon's config file; its `acl` and `superusers` are compiled in-process |
/// | `acl` | `local` | `local` decides ACL checks in-process from `config`, `http` asks `/mqtt/acl`, `synced` compiles the daemon's `/v2/policy` in-process |
/// | `timeout_ms` | 1000 | the bound on any call to the daemon, failover included |
/// | `token_file` | — | a file holding the daemon's `broker.token`, sent as `Authorization: Bearer` |
///
/// Unknown keys are errors, so that a typo never leaves a setting at its default unnoticed.
package struct PluginOptions: Sendable, Equatable {
    package enum ACLMode: String, Sendable, Equatable {
        case local, http, synced
    }

    /// The daemons' base URLs, without trailing slashes, in the order they are tried.
    package var urls = ["http://127.0.0.1:8080"]
    /// The first daemon's base URL.
    package var url: String { urls[0] }
    package var configPath: String?
    /// The broker token read from `token_file`.
    package var token: String?
    package var aclMode = ACLMode.local
    package var timeoutMilliseconds = 1000

    package static let keys = ["url", "config", "acl", "timeout_ms", "token_file"]
    /// The longest `timeout_ms` accepted: a broker thread must never wait longer than this.
    package static let maximumTimeoutMilliseconds = 60_000

    package init() {}

    /// Reads the options in the order Mosquitto passes them.
    ///
    /// - Throws: `PluginOptionsError` listing every problem, each naming its `plugin_opt_` line.
    package init(_ pairs: [(key: String, value: String)]) throws(PluginOptionsError) {
        var problems: [String] = []
        var seen: Set<String> = []
        for (key, value) in pairs {
            guard Self.keys.contains(key) else {
                let known = Self.keys.map { "plugin_opt_\($0)" }.joined(separator: ", ")
                problems.append("unknown option plugin_opt_\(key) (known: \(known))")
                continue
            }
            guard seen.insert(key).inserted else {
                problems.append("plugin_opt_\(key) is given more than once")
                continue
            }
            do throws(PluginOptionsError) {
                try set(key, value)
            } catch {
                problems += error.problems
            }
        }
        if aclMode == .local, configPath == nil {
            problems.append("plugin_opt_config is required with plugin_opt_acl local: it names the mqtt-authd config whose rules the plugin applies")
        }
        guard problems.isEmpty else { throw PluginOptionsError(problems: problems) }
    }

    private mutating func set(_ key: String, _ value: String) throws(PluginOptionsError) {
        let value = value.trimmingWhitespace()
        switch key {
        case "url":
            let items = value.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingWhitespace() }
            var parsed: [String] = []
            for item in items {
                let url = try Self.baseURL(item)
                guard !parsed.contains(url) else { throw PluginOptionsError("plugin_opt_url names \(url) twice") }
                parsed.append(url)
            }
            urls = parsed
        case "token_file":
            guard !value.isEmpty else { throw PluginOptionsError("plugin_opt_token_file is empty") }
            guard let data = FileManager.default.contents(atPath: value) else {
                throw PluginOptionsError("plugin_opt_token_file: cannot read \(value)")
            }
            let text = String(decoding: data, as: UTF8.self).trimmingWhitespace()
            guard !text.isEmpty, !text.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                throw PluginOptionsError("plugin_opt_token_file: \(value) must hold one token on one line")
            }
            token = text
        case "config":
            guard !value.isEmpty else { throw PluginOptionsError("plugin_opt_config is empty") }
            configPath = value
        case "acl":
            guard let mode = ACLMode(rawValue: value) else {
                throw PluginOptionsError("plugin_opt_acl must be local, http or synced, not \"\(value)\"")
            }
            aclMode = mode
        case "timeout_ms":
            guard let milliseconds = Int(value), (1...Self.maximumTimeoutMilliseconds).contains(milliseconds) else {
                throw PluginOptionsError("plugin_opt_timeout_ms must be a whole number of milliseconds from 1 to \(Self.maximumTimeoutMilliseconds), not \"\(value)\"")
            }
            timeoutMilliseconds = milliseconds
        default:
            break
        }
    }

    /// Accepts `http://` or `https://` with a host, an optional port and an optional path
    /// prefix. Credentials, queries and fragments are refused: none of them belong in a base
    /// URL, and a password in it would end up in logs.
    private static func baseURL(_ text: String) throws(PluginOptionsError) -> String {
        if let components = URLComponents(string: text), components.user != nil || components.password != nil {
            throw PluginOptionsError("plugin_opt_url must look like http://127.0.0.1:8080, without a user or password in it")
        }
        let problem = PluginOptionsError("plugin_opt_url must look like http://127.0.0.1:8080 (http or https, a host, an optional port and path), not \"\(text)\"")
        guard let components = URLComponents(string: text),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty,
              components.query == nil, components.fragment == nil
        else { throw problem }
        if let port = components.port, !(1...65535).contains(port) { throw problem }
        var url = text
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}

/// What was wrong with the plugin's options, one problem per entry.
package struct PluginOptionsError: Error, Sendable, CustomStringConvertible {
    package let problems: [String]

    package init(problems: [String]) {
        self.problems = problems
    }

    init(_ problem: String) {
        problems = [problem]
    }

    package var description: String { problems.joined(separator: "; ") }
}
