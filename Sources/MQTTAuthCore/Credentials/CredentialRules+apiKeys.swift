extension CredentialRules {
    /// A new stored API key (README "Keys in the store"): `prefix` (`sk_live_` or `pk_live_`)
    /// and 256 bits from the system CSPRNG as 43 characters of URL-safe base64, like a password.
    /// Only its SHA-256 is ever stored.
    package static func newAPIKey(prefix: String) -> String {
        prefix + newPassword()
    }

    /// True for a key name the store and the admin API accept: 1 to 64 of `[A-Za-z0-9_.-]`.
    package static func isAPIKeyName(_ name: some StringProtocol) -> Bool {
        guard (1...64).contains(name.utf8.count) else { return false }
        return name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."): true
            default: false
            }
        }
    }
}
