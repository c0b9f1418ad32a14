import Foundation
import MQTTAuthCore
import Yams

extension DaemonConfigReader {
    static let providerKeys: Set<String> = [
        "name", "type", "project_url", "jwt_secret", "jwt_secret_file", "jwks_url", "jwks_file",
        "username", "allow_anonymous", "enabled",
    ]

    /// The providers, each with the node it was read from, for errors found later.
    mutating func providers(_ node: Node) -> [(provider: ProviderConfiguration, node: Node)] {
        var providers: [(provider: ProviderConfiguration, node: Node)] = []
        for item in items(node, "providers") {
            guard let provider = provider(item) else { continue }
            if providers.contains(where: { $0.provider.name == provider.name }) {
                error(item, "provider '\(provider.name)' is configured twice")
                continue
            }
            providers.append((provider, item))
        }
        return providers
    }

    /// Checks what only makes sense once the whole file is read: each provider's token
    /// settings with the credentials' leeway (secret length, JWKS document).
    mutating func validate(_ providers: [(provider: ProviderConfiguration, node: Node)], leeway: Int) {
        for (provider, node) in providers {
            do {
                try provider.tokenSettings(leeway: leeway).validate()
            } catch {
                self.error(node, "provider '\(provider.name)': \(error)")
            }
        }
    }

    /// JWKS is fetched over HTTPS; plain HTTP only to this machine (a local Supabase), since
    /// whoever answers that URL chooses which keys are trusted.
    static func isTrustworthy(_ url: URL) -> Bool {
        switch url.scheme?.lowercased() {
        case "https": true
        case "http": ["127.0.0.1", "localhost", "::1", "[::1]"].contains(url.host?.lowercased() ?? "")
        default: false
        }
    }

    private mutating func provider(_ node: Node) -> ProviderConfiguration? {
        var values: [String: (text: String, node: Node)] = [:]
        var secret: [UInt8]?
        var jwks: Data?
        var username = UsernameSource.uuid
        var allowAnonymous = false
        var enabled = true
        for (key, _, value) in entries(node, "a provider", allowed: Self.providerKeys) {
            switch key {
            case "jwt_secret_file":
                secret = file(value, "jwt_secret_file").map { Self.trimmingNewline(Array($0)) }
            case "jwks_file":
                jwks = file(value, "jwks_file")
            case "allow_anonymous":
                bool(value, key).map { allowAnonymous = $0 }
            case "enabled":
                bool(value, key).map { enabled = $0 }
            case "username":
                guard let text = string(value, key) else { continue }
                guard let source = UsernameSource(rawValue: text) else {
                    error(value, "username must be uuid or email, not '\(text.printable)'")
                    continue
                }
                username = source
            default:
                string(value, key).map { values[key] = ($0, value) }
            }
        }
        if let text = values["jwt_secret"] {
            if secret != nil { error(text.node, "give jwt_secret or jwt_secret_file, not both") }
            if text.text.isEmpty { error(text.node, "jwt_secret is empty") }
            secret = Array(text.text.utf8)
        }
        guard let name = values["name"]?.text, !name.isEmpty else {
            error(node, "a provider needs a name")
            return nil
        }
        guard name == name.lowercased() else {
            error(values["name"]?.node, "provider name '\(name.printable)' must be lower-case")
            return nil
        }
        guard let type = values["type"] else {
            error(node, "provider '\(name)' needs a type (supabase)")
            return nil
        }
        guard type.text == "supabase" else {
            error(type.node, "provider type '\(type.text.printable)' is not supported (supabase)")
            return nil
        }
        guard let url = values["project_url"] else {
            error(node, "provider '\(name)' needs a project_url")
            return nil
        }
        let projectURL = url.text.hasSuffix("/") ? String(url.text.dropLast()) : url.text
        guard let parsed = URL(string: projectURL), ["https", "http"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            error(url.node, "project_url must be an http(s) URL, not '\(url.text.printable)'")
            return nil
        }
        let jwksURL = values["jwks_url"]?.text ?? projectURL + "/auth/v1/.well-known/jwks.json"
        if jwks == nil, !(URL(string: jwksURL).map(Self.isTrustworthy) ?? false) {
            let at = values["jwks_url"]?.node ?? url.node
            error(at, "the JWKS URL '\(jwksURL.printable)' must use https (plain http only to 127.0.0.1, ::1 or localhost)")
            return nil
        }
        return ProviderConfiguration(
            name: name,
            projectURL: projectURL,
            jwtSecret: secret,
            jwksURL: jwksURL,
            jwks: jwks,
            username: username,
            allowAnonymous: allowAnonymous,
            enabled: enabled
        )
    }

    private static func trimmingNewline(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes.removeLast() }
        return bytes
    }
}
