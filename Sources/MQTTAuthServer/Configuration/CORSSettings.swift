import MQTTAuthCore

/// `cors:`: the web pages that may call `/v2/tokens/exchange` from a browser (README "From a
/// browser"; docs/architecture.md §6.6).
package struct CORSSettings: Sendable, Equatable {
    /// Origins as browsers send them in `Origin` (`https://app.example.com`,
    /// `http://localhost:5173`), each checked by ``problem(withOrigin:)``. A request's `Origin`
    /// is allowed when it equals one of them byte for byte.
    package var allowedOrigins: [String] = []

    package init(allowedOrigins: [String] = []) {
        self.allowedOrigins = allowedOrigins
    }

    /// `origin` when it is exactly one of `allowedOrigins`, else nil (nil too for no `Origin`).
    package func allowedOrigin(_ origin: String?) -> String? {
        guard let origin, allowedOrigins.contains(origin) else { return nil }
        return origin
    }

    /// Why `text` is not an origin in the form a browser serialises it, or nil when it is one:
    /// `https` or `http`, `://`, a lower-case host name, IPv4 address or bracketed IPv6 address,
    /// and an optional port that is not the scheme's default; no path, trailing slash, query,
    /// fragment or user name. Anything else could never equal a browser's `Origin`.
    package static func problem(withOrigin text: String) -> String? {
        if text == "*" || text == "null" {
            return "list each origin; '\(text)' is not accepted"
        }
        let scheme: String
        if text.hasPrefix("https://") {
            scheme = "https"
        } else if text.hasPrefix("http://") {
            scheme = "http"
        } else {
            return "an origin starts with https:// or http://"
        }
        let rest = text.dropFirst(scheme.count + 3)
        if rest.contains("/") { return "an origin has no path, not even a trailing slash" }
        if rest.contains("?") || rest.contains("#") { return "an origin has no query or fragment" }
        if rest.contains("@") { return "an origin has no user name" }
        var host = rest
        var port: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return "an IPv6 address needs its closing ]" }
            host = rest[...close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return "only :port may follow an IPv6 address" }
                port = after.dropFirst()
            }
            let address = host.dropFirst().dropLast()
            guard !address.isEmpty, address.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                return "'\(String(host).printable)' is not an IPv6 address"
            }
            if address.contains(where: \.isUppercase) { return "the host must be lower-case, as browsers send it" }
        } else {
            if let colon = rest.lastIndex(of: ":") {
                host = rest[..<colon]
                port = rest[rest.index(after: colon)...]
            }
            if host.contains(where: \.isUppercase) { return "the host must be lower-case, as browsers send it" }
            let labels = host.split(separator: ".", omittingEmptySubsequences: false)
            let hostCharacters = host.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "." }
            guard !host.isEmpty, hostCharacters, !labels.contains(where: \.isEmpty) else {
                return "'\(String(host).printable)' is not a host name or IP address"
            }
        }
        if let port {
            guard let number = Int(port), (1...65535).contains(number), String(number) == port else {
                return "the port must be a number from 1 to 65535, not '\(String(port).printable)'"
            }
            if number == (scheme == "https" ? 443 : 80) {
                return "browsers leave out the default port \(number) of \(scheme): drop ':\(number)'"
            }
        }
        return nil
    }
}
