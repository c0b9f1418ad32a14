import Crypto

/// docs/architecture.md §4 as pure functions: deriving usernames, and the password secrets
/// (`CredentialRules+secrets.swift`). No I/O; the store applies them.
///
/// **Usernames.** Every name returned here passes `validateUsername`: 1 to 128 bytes of UTF-8,
/// no `/`, `+`, `#` and no control character (U+0000–U+001F, U+007F–U+009F: MQTT forbids NUL
/// in strings and says the others should not appear), and not starting with `$`. So a username
/// is always a valid single topic level, which the ACL's `%u` needs.
///
/// - `uuid`: the JWT `sub` as it is. A `sub` that breaks the rules above is refused, never
///   rewritten (it would stop being the same user's name).
/// - `email`: ASCII letters lower-cased, then every character (grapheme cluster) outside
///   `[a-z0-9_-]` replaced by one `_`: `John.Doe@example.com` → `john_doe_example_com`,
///   `José@x.io` → `jos__x_io` whether the `é` is one scalar or two. Only ASCII is lower-cased,
///   so the result does not depend on the Unicode tables of the Swift runtime.
///
/// **Shortening.** A derived name over 128 bytes keeps its longest prefix of whole Unicode
/// scalars that fits in 111 bytes, then `-` and the first 16 hex digits of the SHA-256 of the
/// whole derived name. The same long name always shortens the same way, and two long names
/// that share their first 111 bytes still get different names.
///
/// **Collisions.** Two identities (provider, sub) never share a name: the store binds a name to
/// the first identity that claims it. A later identity whose derived name is taken gets
/// `disambiguated(_:provider:subject:)`, the name (cut to 119 bytes) followed by `-` and the
/// first 8 hex digits of SHA-256(provider + NUL + sub).
package enum CredentialRules {
    /// The longest username, in UTF-8 bytes.
    package static let maxUsernameBytes = 128
    /// Hex digits of the hash that ends a shortened name.
    static let shortenedHexDigits = 16
    /// Hex digits of the hash that ends a disambiguated name.
    static let suffixHexDigits = 8

    /// The MQTT username for a verified token's identity (docs/architecture.md §4).
    ///
    /// - Throws: `CredentialError` when `source` is `.uuid` and `subject` is not a valid topic
    ///   level, or when `source` is `.email` and `email` is missing, empty or not verified by the
    ///   provider (an unverified address must never claim a username first).
    package static func username(
        source: UsernameSource, subject: String, email: String?, emailVerified: Bool = true
    ) throws(CredentialError) -> String {
        switch source {
        case .uuid:
            if let problem = levelProblem(subject) { throw .invalidSubject(problem) }
            return shortened(subject)
        case .email:
            guard let email, !email.isEmpty else { throw .missingEmail }
            guard emailVerified else { throw .unverifiedEmail }
            return shortened(sanitized(email))
        }
    }

    /// The name for a later identity whose derived name `base` is already bound to another
    /// identity: `base` cut to 119 bytes, `-`, and the first 8 hex digits of
    /// SHA-256(provider + NUL + subject). At most 128 bytes, and a valid username when `base` is.
    package static func disambiguated(_ base: String, provider: String, subject: String) -> String {
        disambiguated(base, provider: provider, subject: subject, attempt: 0)
    }

    /// Attempt 0 is `disambiguated(_:provider:subject:)`. Attempt `n > 0` hashes
    /// provider + NUL + subject + NUL + `n` instead, for the rare (or engineered) case that the
    /// suffixed name is taken as well. The store tries attempts in order, so the name it picks
    /// depends only on which names are already bound.
    package static func disambiguated(_ base: String, provider: String, subject: String, attempt: Int) -> String {
        precondition(attempt >= 0, "attempts count from 0")
        precondition(levelProblem(base) == nil, "disambiguated needs a valid username as its base")
        var identity = provider + "\u{0}" + subject
        if attempt > 0 { identity += "\u{0}" + String(attempt) }
        let tag = hex(SHA256.hash(data: Array(identity.utf8)), digits: suffixHexDigits)
        return prefix(base, maxBytes: maxUsernameBytes - 1 - suffixHexDigits) + "-" + tag
    }

    /// Checks the username invariant stated on `CredentialRules`.
    package static func validateUsername(_ name: String) throws(CredentialError) {
        if let problem = levelProblem(name) { throw .invalidUsername(problem) }
        if name.utf8.count > maxUsernameBytes { throw .invalidUsername("is longer than \(maxUsernameBytes) bytes") }
    }

    /// Why `text` is not a valid single topic level usable as a username, or nil if it is.
    static func levelProblem(_ text: String) -> String? {
        if text.isEmpty { return "is empty" }
        if text.utf8.first == UInt8(ascii: "$") { return "starts with '$'" }
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0: return "contains a NUL character"
            case 0x01...0x1F, 0x7F...0x9F: return "contains a control character"
            case 0x2F: return "contains '/'"
            case 0x2B, 0x23: return "contains '+' or '#'"
            default: continue
            }
        }
        return nil
    }

    /// `email` with ASCII letters lower-cased and every other character outside `[a-z0-9_-]`
    /// replaced by one `_`. Works on whole characters, so canonically equivalent spellings give
    /// the same name.
    static func sanitized(_ email: String) -> String {
        var out = String.UnicodeScalarView()
        for character in email {
            out.append(kept(character) ?? "_")
        }
        return String(out)
    }

    /// The character, lower-cased, if it is one ASCII scalar in `[A-Za-z0-9_-]`.
    private static func kept(_ character: Character) -> Unicode.Scalar? {
        let scalars = character.unicodeScalars
        guard scalars.count == 1, let scalar = scalars.first else { return nil }
        switch scalar {
        case "a"..."z", "0"..."9", "_", "-": return scalar
        case "A"..."Z": return Unicode.Scalar(UInt8(scalar.value) + 32)
        default: return nil
        }
    }

    /// `name` itself when it fits in 128 bytes; otherwise its first 111 bytes (whole scalars),
    /// `-` and 16 hex digits of SHA-256 of the whole name.
    static func shortened(_ name: String) -> String {
        guard name.utf8.count > maxUsernameBytes else { return name }
        let tag = hex(SHA256.hash(data: Array(name.utf8)), digits: shortenedHexDigits)
        return prefix(name, maxBytes: maxUsernameBytes - 1 - shortenedHexDigits) + "-" + tag
    }

    /// The longest prefix of whole Unicode scalars of `text` that fits in `maxBytes` of UTF-8.
    static func prefix(_ text: String, maxBytes: Int) -> String {
        var out = String.UnicodeScalarView()
        var bytes = 0
        for scalar in text.unicodeScalars {
            bytes += UTF8.width(scalar)
            if bytes > maxBytes { break }
            out.append(scalar)
        }
        return String(out)
    }

    /// The first `digits` lower-case hex digits of `bytes`.
    static func hex(_ bytes: some Sequence<UInt8>, digits: Int) -> String {
        String(Hex.string(bytes.prefix((digits + 1) / 2)).prefix(digits))
    }
}
