/// A user's attributes: name → values (a scalar claim gives one value, an array several).
///
/// Rules read them through `%{name}` levels and `when:` conditions (docs/architecture.md §3).
/// Where they come from (token claims) is the daemon's business; the core only decides.
package struct UserAttributes: Sendable, Hashable {
    package var values: [String: [String]]

    package init(_ values: [String: [String]] = [:]) {
        self.values = values
    }

    /// No attributes: what every caller that does not pass any gets.
    package static let none = UserAttributes()

    /// True if the attribute `name` holds `value` (for an array, any element equal).
    package func holds(_ name: String, _ value: String) -> Bool {
        values[name]?.contains(value) ?? false
    }
}

/// One `when:` entry of a rule: the rule applies only to users whose attribute `name` holds `value`.
package struct AttributeCondition: Sendable, Hashable, Comparable, CustomStringConvertible {
    package let name: String
    package let value: String

    package init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    package static func < (a: Self, b: Self) -> Bool {
        (a.name, a.value) < (b.name, b.value)
    }

    /// `roles=admin`.
    package var description: String { "\(name)=\(value)" }
}

/// The spelling of attribute names in `%{name}` and `when:`: `[a-z_][a-z0-9_]*`.
package enum AttributeName {
    package static func isValid(_ name: some StringProtocol) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else {
            return false
        }
        return name.utf8.allSatisfy {
            $0 == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
        }
    }
}
