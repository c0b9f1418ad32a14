/// How an aclcheck run ended: its exit status, part of the interface (README.md, "aclcheck").
package enum ACLCheckStatus: Int32, Sendable {
    /// Allowed; also a finished `--batch` and a clean `--lint`.
    case ok = 0
    /// Denied.
    case denied = 1
    /// Bad usage, bad input (a malformed batch, an unreadable batch file) or a bad configuration.
    case failed = 2
}
