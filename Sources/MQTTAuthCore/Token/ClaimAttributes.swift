#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads a provider's declared attributes (`attributes: {org: app_metadata.org_id}`) from the
/// claims of a token that has already passed every check (README "Attributes").
///
/// A path names nested object keys, separated by dots. A string is one value; a number one
/// value in its JSON spelling (`42`, `4.5`); an array gives its string and number elements, in
/// order and without repeats, skipping elements of other types. A missing claim, a claim of any
/// other type (`true`, `null`, an object) or an array with no usable element leaves the
/// attribute unset. Whether a value can stand for a topic level is the ACL's concern
/// (docs/architecture.md §3), not this reader's.
package enum ClaimAttributes {
    /// One attribute's declaration: its name and the claim path it reads.
    package struct Declaration: Sendable, Hashable {
        package let name: String
        package let path: [String]

        package init(name: String, path: [String]) {
            self.name = name
            self.path = path
        }
    }

    /// The attributes `declarations` read from `token`'s claims (its middle part, base64url
    /// JSON); `.none` when nothing is declared or the claims cannot be read.
    package static func read(_ declarations: [Declaration], from token: String) -> UserAttributes {
        guard !declarations.isEmpty else { return .none }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let data = base64URLDecoded(parts[1]),
              let claims = try? JSONDecoder().decode(ClaimValue.self, from: data) else { return .none }
        var values: [String: [String]] = [:]
        for declaration in declarations {
            var node = claims
            var found = true
            for key in declaration.path {
                guard case .object(let members) = node, let next = members[key] else {
                    found = false
                    break
                }
                node = next
            }
            guard found else { continue }
            let read = node.attributeValues
            if !read.isEmpty { values[declaration.name] = read }
        }
        return UserAttributes(values)
    }

    private static func base64URLDecoded(_ text: Substring) -> Data? {
        var base64 = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}

/// Any JSON value of a token's claims, keeping numbers apart from booleans.
enum ClaimValue: Decodable {
    case string(String)
    case number(String)
    case bool
    case null
    case array([ClaimValue])
    case object([String: ClaimValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if (try? container.decode(Bool.self)) != nil {
            self = .bool
        } else if let integer = try? container.decode(Int64.self) {
            self = .number(String(integer))
        } else if let double = try? container.decode(Double.self) {
            self = .number(double.description)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([ClaimValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: ClaimValue].self))
        }
    }

    /// The values an attribute takes from this claim (see ``ClaimAttributes``).
    var attributeValues: [String] {
        switch self {
        case .string(let text): return [text]
        case .number(let text): return [text]
        case .array(let elements):
            var seen: Set<String> = []
            return elements.compactMap { element -> String? in
                switch element {
                case .string(let text), .number(let text): seen.insert(text).inserted ? text : nil
                default: nil
                }
            }
        case .bool, .null, .object: return []
        }
    }
}
