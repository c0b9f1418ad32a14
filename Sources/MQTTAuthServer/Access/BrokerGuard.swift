import Crypto
import Foundation
import HTTPTypes
import MQTTAuthCore
import NIOCore

/// Who may use the broker endpoints (`/mqtt/*`, `/emqx/*`) and `/v2/policy`: once daemons
/// listen beyond loopback, `/mqtt/auth` would otherwise be a password oracle for anyone who
/// can reach it (README "Broker endpoints on a network").
///
/// - `broker.allow_from`: client addresses outside every listed range get 403. Empty (the
///   default) allows every address.
/// - `broker.token_sha256` (or `broker.token`, plain, for development): requests without
///   `Authorization: Bearer <token>` get 401. The token is compared as its SHA-256, in constant
///   time, and is never logged.
package struct BrokerGuard: Sendable, Equatable {
    package var allowFrom: [AddressRange] = []
    package var tokenSHA256: [UInt8]?

    package init() {}

    var isOpen: Bool { allowFrom.isEmpty && tokenSHA256 == nil }

    /// Why the request must be refused, or nil when it may go on. Unix-socket and unknown
    /// peers count as outside every range.
    func refusal(remote: SocketAddress?, authorization: String?) -> APIError? {
        if !allowFrom.isEmpty {
            guard let remote, allowFrom.contains(where: { $0.contains(remote) }) else {
                return APIError(status: .forbidden, code: "forbidden", message: "this address may not use the broker endpoints (broker.allow_from)")
            }
        }
        if let expected = tokenSHA256 {
            guard let token = Self.bearer(authorization),
                  CredentialRules.constantTimeEqual(Array(SHA256.hash(data: Data(token.utf8))), expected)
            else {
                return APIError(status: .unauthorized, code: "unauthorized", message: "missing or wrong broker token (broker.token_sha256)")
            }
        }
        return nil
    }

    private static func bearer(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else { return nil }
        return String(parts[1])
    }
}
