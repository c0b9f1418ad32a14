import Foundation

/// Why the credential store cannot open or write. The description names the database path and
/// SQLite's reason; it never holds a password, a hash or statement arguments.
package struct CredentialStoreError: Error, Sendable, CustomStringConvertible {
    package let description: String

    package init(_ description: String) {
        self.description = description
    }

    static func cannotCreateFolder(_ folder: String, _ error: any Error) -> CredentialStoreError {
        CredentialStoreError("cannot create the folder '\(folder)' for the credential database: \(reason(error))")
    }

    static func cannotOpen(_ path: String, _ error: any Error) -> CredentialStoreError {
        CredentialStoreError("cannot open the credential database '\(path)': \(reason(error))")
    }

    static func notWAL(_ mode: String?) -> CredentialStoreError {
        CredentialStoreError("the database refused WAL mode (journal_mode is \(mode ?? "unknown"))")
    }

    package static let alreadyExpired = CredentialStoreError("the credential would expire before it is issued")

    static let noFreeUsername = CredentialStoreError("no free username for this identity after 100 attempts")

    /// The error's own text: the system's words for a failed file operation ("Not a
    /// directory", "Permission denied"), SQLite's for the rest. GRDB's `DatabaseError` keeps
    /// statement arguments out of its description unless `publicStatementArguments` is set,
    /// which the store never does.
    private static func reason(_ error: any Error) -> String {
        if let error = error as? CredentialStoreError { return error.description }
        if let cocoa = error as? CocoaError, let underlying = cocoa.underlying {
            let posix = underlying as NSError
            if posix.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(posix.code))) }
        }
        return String(describing: error)
    }
}
