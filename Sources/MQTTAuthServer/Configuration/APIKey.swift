/// One entry of `api_keys:`, kept only as its SHA-256 (README "API keys").
package struct APIKey: Sendable {
    package var name: String
    package var sha256: [UInt8]
    package var kind: APIKeyKind

    package init(name: String, sha256: [UInt8], kind: APIKeyKind = .secret) {
        self.name = name
        self.sha256 = sha256
        self.kind = kind
    }
}

/// What an API key may do (README "API keys").
package enum APIKeyKind: String, Sendable, Equatable {
    /// A backend's key: every endpoint an API key opens, with or without an `Origin`.
    case secret
    /// A key that ships in a web page: `/v2/tokens/exchange` only, and only with an `Origin`
    /// listed in `cors.allowed_origins`. It is public, so it proves nothing by itself; the
    /// identity provider's token does.
    case publishable

    /// The kind a plain key's prefix names: `sk_` secret, `pk_` publishable, else nil.
    package init?(prefixOf key: String) {
        if key.hasPrefix("sk_") {
            self = .secret
        } else if key.hasPrefix("pk_") {
            self = .publishable
        } else {
            return nil
        }
    }

    /// The prefix of a plain key of this kind.
    package var prefix: String {
        switch self {
        case .secret: "sk_"
        case .publishable: "pk_"
        }
    }
}
