/// Where a provider takes its users' MQTT usernames from (docs/architecture.md §4, the
/// provider's `username` key).
package enum UsernameSource: String, Sendable {
    /// The JWT `sub`, as it is (Supabase: the user's UUID). The default.
    case uuid
    /// The JWT `email`, lower-cased, every character outside `[a-z0-9_-]` replaced by `_`.
    case email

    /// The configuration's spelling: `uuid` (or its alias `sub`) or `email`.
    package init?(configured text: String) {
        switch text {
        case "uuid", "sub": self = .uuid
        case "email": self = .email
        default: return nil
        }
    }
}
