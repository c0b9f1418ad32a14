import Foundation
import NIOCore
import NIOSSL
import PostgresNIO

/// Why the PostgreSQL store cannot start or answer. Descriptions name the server's reason
/// (its SQLSTATE and message), a connection's or TLS's failure, never the password, a URL with
/// it, or statement arguments.
package struct PostgresStoreError: Error, Sendable, CustomStringConvertible {
    package let description: String

    init(_ description: String) {
        self.description = description
    }

    static func schemaTooNew(found: Int, known: Int) -> PostgresStoreError {
        PostgresStoreError("the database schema is version \(found), newer than this mqtt-authd knows (\(known)): run the newer mqtt-authd, or a database of this version")
    }

    static func timedOut(_ what: String, after duration: Duration) -> PostgresStoreError {
        PostgresStoreError("\(what) did not finish within \(duration.formattedSeconds)")
    }

    static let noFreeUsername = PostgresStoreError("no free username for this identity after 100 attempts")

    /// The reason behind an error from postgres-nio, NIO or TLS, in words an operator can act
    /// on. postgres-nio's own description is deliberately generic; its server fields are not
    /// secret (the server never echoes a password), and its underlying errors are NIO's.
    static func reason(_ error: any Error) -> String {
        if let error = error as? PostgresStoreError { return error.description }
        if let error = error as? PSQLError {
            if let info = error.serverInfo, let message = info[.message] {
                let state = info[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return "the server said: \(message)\(state)"
            }
            switch error.code {
            case .sslUnsupported: return "the server does not offer TLS (sslmode requires it)"
            case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
                return error.underlying.map { reason($0) } ?? "the connection was closed"
            case .authMechanismRequiresPassword: return "the server asks for a password and the URL has none"
            case .unsupportedAuthMechanism: return "the server asks for an authentication method postgres-nio does not support"
            case .poolClosed: return "the connection pool is closed"
            default: return "postgres-nio error \(error.code)"
            }
        }
        if let error = error as? NIOSSLError { return "TLS failed: \(error)" }
        if let error = error as? BoringSSLError { return "TLS failed: \(error)" }
        if let error = error as? NIOSSLExtraError { return "TLS failed: \(error)" }
        if let error = error as? IOError { return error.description }
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return "cannot connect to \(first.target): \(first.error)" }
            if let dns = error.dnsAAAAError ?? error.dnsAError { return "cannot resolve the host: \(dns)" }
            return "cannot connect"
        }
        return String(describing: error)
    }
}

extension Duration {
    var formattedSeconds: String {
        let (seconds, attoseconds) = components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }
}
