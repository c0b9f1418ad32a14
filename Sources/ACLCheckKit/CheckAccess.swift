import ArgumentParser
import MQTTAuthCore

/// What aclcheck may be asked about, as `--access` or a batch line's first field. Not
/// unsubscribe, which is always allowed (docs/architecture.md §3.2), and not `write`, the HTTP
/// API's other name for publish: aclcheck takes the three names README.md's aclcheck section gives.
package enum CheckAccess: String, CaseIterable, Sendable, ExpressibleByArgument {
    case publish
    case subscribe
    case read

    /// The access the ACL decides.
    package var access: Access {
        switch self {
        case .publish: .publish
        case .subscribe: .subscribe
        case .read: .read
        }
    }

    /// Parses `--access` with `init(argument:)`; any other name, `write` and `unsubscribe`
    /// included, is refused with a message that names the three accepted.
    static func option(_ name: String) throws -> CheckAccess {
        guard let access = CheckAccess(argument: name) else {
            throw ValidationError("--access must be publish, subscribe or read, not '\(name.printable)'")
        }
        return access
    }
}
