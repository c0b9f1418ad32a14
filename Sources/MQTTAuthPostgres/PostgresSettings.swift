import Foundation

/// Where the shared credential store lives and how to reach it: the `database:` URL
/// (`postgres://user:password@host:port/database?sslmode=...`) and the `database_*` keys.
///
/// The password is kept here only to log in. `description` and every error leave it out, so
/// that neither a log line nor a start-up message ever shows it.
package struct PostgresSettings: Sendable, Equatable, CustomStringConvertible {
    package enum SSLMode: String, Sendable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS, without checking the server's certificate.
        case require
        /// TLS, with the certificate checked against the system's CA store (or `database_ca`)
        /// and the host name.
        case verifyFull = "verify-full"
    }

    package var host: String
    package var port: Int
    package var username: String
    package var password: String?
    package var database: String
    package var sslMode: SSLMode
    /// A PEM file of CA certificates for `verify-full`, instead of the system's store.
    package var caFile: String?
    /// Connections in the pool (`database_pool_size`).
    package var poolSize = 10
    /// The longest an exchange waits for the database before it answers 503 (`database_timeout`).
    package var timeout: Duration = .seconds(5)
    /// Database look-ups for passwords memory does not know, per second and in a burst
    /// (`database_miss_lookups`): what one guesser can cost the database.
    package var missLookupRate: Double = 100
    package var missLookupBurst = 200

    /// The URL without its password, for logs.
    package var description: String {
        let who = password == nil ? username : "\(username):***"
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(who)@\(hostPart):\(port)/\(database)?sslmode=\(sslMode.rawValue)"
    }

    /// Whether `value` names a PostgreSQL database rather than a SQLite path.
    package static func isPostgresURL(_ value: String) -> Bool {
        value.hasPrefix("postgres://") || value.hasPrefix("postgresql://")
    }

    /// Reads a `postgres://` or `postgresql://` URL. Without a port it is 5432, without a
    /// database the user's name, without `sslmode` it is `verify-full`: a URL that says
    /// nothing gets the safe setting.
    ///
    /// - Throws: `PostgresSettingsError` saying what is wrong, never quoting the password.
    package static func parse(url text: String) throws(PostgresSettingsError) -> PostgresSettings {
        guard isPostgresURL(text) else { throw .init("must start with postgres:// or postgresql://") }
        guard let components = URLComponents(string: text) else {
            throw .init("is not a valid URL (a password with '@', '/', ':' or '%' must be percent-encoded)")
        }
        guard let host = components.host, !host.isEmpty else { throw .init("has no host") }
        guard let user = components.user, !user.isEmpty else { throw .init("has no user name") }
        if let fragment = components.fragment, !fragment.isEmpty { throw .init("must not have a fragment") }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw .init("has a port outside 1...65535") }
        var path = components.path
        if path.hasPrefix("/") { path.removeFirst() }
        guard !path.contains("/") else { throw .init("must name one database after the host, not a path") }
        var settings = PostgresSettings(
            host: host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host,
            port: port,
            username: user,
            password: components.password,
            database: path.isEmpty ? user : path,
            sslMode: .verifyFull
        )
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(SSLMode.init(rawValue:)) else {
                    let known = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
                    throw .init("sslmode must be one of \(known), not '\(item.value ?? "")'")
                }
                settings.sslMode = mode
            default:
                throw .init("has an unknown parameter '\(item.name)' (known: sslmode)")
            }
        }
        return settings
    }
}

/// Why a `database:` URL cannot be used. Its text never holds the password.
package struct PostgresSettingsError: Error, Sendable, CustomStringConvertible {
    package let description: String

    init(_ reason: String) {
        description = "the PostgreSQL URL " + reason
    }
}
