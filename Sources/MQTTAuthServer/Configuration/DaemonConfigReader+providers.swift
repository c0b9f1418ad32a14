import Foundation
import MQTTAuthCore

extension DaemonConfigReader {
    typealias Kind = TokenVerifierConfiguration.Kind

    /// Keys every provider type accepts.
    static let commonProviderKeys: Set<String> = [
        "name", "type", "enabled", "username", "jwks_url", "jwks_file", "credential_ttl", "mqtt_login", "attributes",
    ]

    /// The keys of each type beyond the common ones; the first `required` ones must be given.
    static let providerTypeKeys: [Kind: (required: [String], optional: [String])] = [
        .supabase: (["project_url"], ["jwt_secret", "jwt_secret_file", "allow_anonymous"]),
        .firebase: (["project_id"], ["allow_anonymous"]),
        .auth0: (["domain", "audience"], []),
        .clerk: (["frontend_api"], ["authorized_parties"]),
        .oidc: (["issuer", "audience"], ["algorithms"]),
    ]

    static var providerKeys: Set<String> {
        providerTypeKeys.values.reduce(into: commonProviderKeys) { $0.formUnion($1.required + $1.optional) }
    }

    /// Where Firebase publishes the keys of its ID tokens (the same for every project).
    static let firebaseJWKSURL = "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com"
    /// The longest `credential_ttl`, in seconds (a year); `max_ttl` caps it further.
    static let maximumCredentialTTL = 31_536_000

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

    /// Keys and discovery documents are fetched over HTTPS; plain HTTP only to this machine (a
    /// local Supabase, tests), since whoever answers that URL chooses which keys are trusted.
    static func isTrustworthy(_ url: URL) -> Bool {
        switch url.scheme?.lowercased() {
        case "https": url.host != nil
        case "http": ["127.0.0.1", "localhost", "::1", "[::1]"].contains(url.host?.lowercased() ?? "")
        default: false
        }
    }

    static func isTrustworthy(_ text: String) -> Bool {
        URL(string: text).map { isTrustworthy($0) } ?? false
    }

    private mutating func provider(_ node: Node) -> ProviderConfiguration? {
        var values: [String: (text: String, node: Node)] = [:]
        var keyNodes: [String: Node] = [:]
        var secret: [UInt8]?
        var jwks: Data?
        var username = UsernameSource.uuid
        var allowAnonymous = false
        var enabled = true
        var mqttLogin = false
        var credentialTTL: Int?
        var lists: [String: (items: [String], node: Node)] = [:]
        var attributeNodes: [(name: String, keyNode: Node, value: Node)] = []
        for (key, keyNode, value) in entries(node, "a provider", allowed: Self.providerKeys) {
            keyNodes[key] = keyNode
            switch key {
            case "jwt_secret_file":
                secret = file(value, "jwt_secret_file").map { Self.trimmingNewline(Array($0)) }
            case "jwks_file":
                jwks = file(value, "jwks_file")
            case "allow_anonymous":
                bool(value, key).map { allowAnonymous = $0 }
            case "enabled":
                bool(value, key).map { enabled = $0 }
            case "mqtt_login":
                bool(value, key).map { mqttLogin = $0 }
            case "credential_ttl":
                credentialTTL = integer(value, key, in: 1...Self.maximumCredentialTTL)
            case "username":
                guard let text = string(value, key) else { continue }
                guard let source = UsernameSource(configured: text) else {
                    error(value, "username must be uuid (or sub) or email, not '\(text.printable)'")
                    continue
                }
                username = source
            case "attributes":
                attributeNodes = entries(value, "attributes", allowed: nil).map { ($0.key, $0.keyNode, $0.value) }
            case "authorized_parties", "algorithms":
                let items = (self.items(value, key)).compactMap { string($0, "each entry of \(key)") }
                lists[key] = (items, value)
            default:
                string(value, key).map { values[key] = ($0, value) }
            }
        }
        guard let name = values["name"]?.text, !name.isEmpty else {
            error(node, "a provider needs a name")
            return nil
        }
        guard name == name.lowercased() else {
            error(values["name"]?.node, "provider name '\(name.printable)' must be lower-case")
            return nil
        }
        let typeNames = Kind.allCases.map(\.rawValue).joined(separator: ", ")
        guard let type = values["type"] else {
            error(node, "provider '\(name)' needs a type (\(typeNames))")
            return nil
        }
        guard let kind = Kind(rawValue: type.text), let keys = Self.providerTypeKeys[kind] else {
            error(type.node, "provider type '\(type.text.printable)' does not exist (\(typeNames))")
            return nil
        }
        var complete = true
        let allowed = Self.commonProviderKeys.union(keys.required + keys.optional)
        for (key, keyNode) in keyNodes.sorted(by: { $0.key < $1.key }) where !allowed.contains(key) {
            error(keyNode, "'\(key)' is not a key of type \(kind.rawValue)")
            complete = false
        }
        for key in keys.required where keyNodes[key] == nil {
            error(node, "provider '\(name)' (\(kind.rawValue)) needs \(key)")
            complete = false
        }
        if let text = values["jwt_secret"] {
            if secret != nil { error(text.node, "give jwt_secret or jwt_secret_file, not both") }
            if text.text.isEmpty { error(text.node, "jwt_secret is empty") }
            secret = Array(text.text.utf8)
        }
        let attributes = self.attributes(attributeNodes, kind: kind)
        guard complete else { return nil }
        var token: TokenVerifierConfiguration
        var defaultKeys: ProviderConfiguration.KeySource
        var projectURL: String?
        switch kind {
        case .supabase:
            guard let url = values["project_url"] else { return nil }
            let base = Self.droppingSlash(url.text)
            guard let parsed = URL(string: base), ["https", "http"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                error(url.node, "project_url must be an http(s) URL, not '\(url.text.printable)'")
                return nil
            }
            projectURL = base
            token = TokenVerifierConfiguration(issuer: base + "/auth/v1", hs256Secret: secret, allowAnonymous: allowAnonymous)
            defaultKeys = .jwks(url: base + "/auth/v1/.well-known/jwks.json")
        case .firebase:
            guard let id = values["project_id"] else { return nil }
            guard Self.isPlainName(id.text) else {
                error(id.node, "project_id must be a Firebase project id (letters, digits and '-'), not '\(id.text.printable)'")
                return nil
            }
            token = .firebase(projectID: id.text, allowAnonymous: allowAnonymous)
            defaultKeys = .jwks(url: Self.firebaseJWKSURL)
        case .auth0:
            guard let domain = values["domain"], let audience = values["audience"] else { return nil }
            let host = Self.droppingSlash(domain.text.replacingOccurrences(of: "https://", with: ""))
            guard Self.isPlainName(host.replacingOccurrences(of: ".", with: "")), !host.isEmpty else {
                error(domain.node, "domain must be a host name such as tenant.eu.auth0.com, not '\(domain.text.printable)'")
                return nil
            }
            token = .auth0(domain: host, audience: audience.text)
            defaultKeys = .jwks(url: "https://\(host)/.well-known/jwks.json")
        case .clerk:
            guard let frontend = values["frontend_api"] else { return nil }
            let issuer = Self.droppingSlash(frontend.text)
            guard Self.isTrustworthy(issuer) else {
                error(frontend.node, "frontend_api must be an https URL (plain http only to 127.0.0.1, ::1 or localhost), not '\(frontend.text.printable)'")
                return nil
            }
            token = .clerk(frontendAPI: issuer, authorizedParties: lists["authorized_parties"]?.items)
            defaultKeys = .jwks(url: issuer + "/.well-known/jwks.json")
        case .oidc:
            guard let issuer = values["issuer"], let audience = values["audience"] else { return nil }
            guard Self.isTrustworthy(issuer.text) else {
                error(issuer.node, "issuer must be an https URL (plain http only to 127.0.0.1, ::1 or localhost), not '\(issuer.text.printable)'")
                return nil
            }
            var algorithms = TokenVerifierConfiguration.oidcDefaultAlgorithms
            if let list = lists["algorithms"] {
                algorithms = []
                let accepted = SigningAlgorithm.allCases.filter { !$0.isSymmetric }.map(\.rawValue).joined(separator: ", ")
                for text in list.items {
                    guard let algorithm = SigningAlgorithm(rawValue: text), !algorithm.isSymmetric else {
                        error(list.node, "algorithms: '\(text.printable)' is not accepted (\(accepted); never HS*)")
                        return nil
                    }
                    algorithms.insert(algorithm)
                }
            }
            token = .oidc(issuer: issuer.text, audience: audience.text, algorithms: algorithms)
            defaultKeys = .discovery(url: Self.droppingSlash(issuer.text) + "/.well-known/openid-configuration")
        }
        token.jwks = jwks
        var keySource = defaultKeys
        if jwks != nil {
            if let given = values["jwks_url"] { error(given.node, "give jwks_url or jwks_file, not both") }
            keySource = .file
        } else if let given = values["jwks_url"] {
            keySource = .jwks(url: given.text)
        }
        if case .jwks(let url) = keySource, !Self.isTrustworthy(url) {
            // A default URL is derived from the type's required key: point there.
            error(values["jwks_url"]?.node ?? keys.required.first.flatMap { values[$0]?.node } ?? node,
                  "the JWKS URL '\(url.printable)' must use https (plain http only to 127.0.0.1, ::1 or localhost)")
            return nil
        }
        return ProviderConfiguration(
            name: name,
            type: kind,
            token: token,
            keySource: keySource,
            projectURL: projectURL,
            username: username,
            credentialTTL: credentialTTL ?? (kind == .clerk ? ProviderConfiguration.clerkCredentialTTL : nil),
            enabled: enabled,
            mqttLogin: mqttLogin,
            attributes: attributes
        )
    }

    /// Claim paths users can edit, per type: an attribute must never be read from them.
    static let userEditableClaims: [Kind: String] = [.supabase: "user_metadata", .clerk: "unsafe_metadata"]

    /// `attributes: {name: claim.path}`: names are `[a-z_][a-z0-9_]*`, paths dot-separated keys,
    /// never under a claim the user can edit.
    private mutating func attributes(_ nodes: [(name: String, keyNode: Node, value: Node)], kind: Kind) -> [ClaimAttributes.Declaration] {
        var declarations: [ClaimAttributes.Declaration] = []
        for (name, keyNode, value) in nodes {
            guard let path = string(value, "attribute '\(name.printable)'") else { continue }
            guard AttributeName.isValid(name) else {
                error(keyNode, "attribute name '\(name.printable)' must be lower-case letters, digits and '_', not starting with a digit")
                continue
            }
            let keys = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !keys.contains(where: \.isEmpty) else {
                error(value, "attribute '\(name)': '\(path.printable)' is not a claim path (keys separated by dots)")
                continue
            }
            if let editable = Self.userEditableClaims[kind], keys.first == editable {
                error(value, "attribute '\(name)': \(editable) is edited by users themselves; read attributes only from claims the server sets")
                continue
            }
            declarations.append(ClaimAttributes.Declaration(name: name, path: keys))
        }
        return declarations
    }


    /// Letters, digits, `-` and `_` only: what a Firebase project id or a host name's labels hold.
    private static func isPlainName(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }
    }

    private static func droppingSlash(_ text: String) -> String {
        text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    private static func trimmingNewline(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes.removeLast() }
        return bytes
    }
}
