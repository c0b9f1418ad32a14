import AsyncHTTPClient
import Foundation
import MQTTAuthCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// The plugin's connection to mqtt-authd: one `/mqtt/auth` request per CONNECT and, in `http`
/// ACL mode, one `/mqtt/acl` request per check.
///
/// The broker calls its plugin on its single thread and expects an answer, so every call here
/// waits, bounded by the configured timeout, for the answer. The HTTP client runs on its own
/// event-loop thread, started with the client and stopped by `shutdown()`; it keeps its
/// connections to the daemon open between requests.
package final class DaemonClient: Sendable {
    /// What the daemon answered to a password check.
    package enum AuthAnswer: Equatable, Sendable {
        /// 200: the credential is valid; `expiresAt` is when it stops being valid, if the
        /// daemon said (`expires_at`, JSON bodies only).
        case allowed(expiresAt: Date?)
        /// 403: wrong username or password, or an expired credential.
        case denied
        /// No usable answer within the timeout. The caller refuses the client (fail closed).
        case unavailable(reason: String)
    }

    /// What the daemon answered to an ACL check.
    package enum ACLAnswer: Equatable, Sendable {
        case allowed, denied
        case unavailable(reason: String)
    }

    private let group: MultiThreadedEventLoopGroup
    private let http: HTTPClient
    private let baseURL: String
    private let timeout: TimeAmount

    package init(options: PluginOptions) {
        baseURL = options.url
        timeout = .milliseconds(Int64(options.timeoutMilliseconds))
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: timeout, read: timeout)
        )
        configuration.connectionPool = .init(idleTimeout: .seconds(60))
        // A daemon that refuses connections is down: say so at once instead of retrying until
        // the timeout, which would hold the broker's thread for the whole timeout per CONNECT.
        configuration.connectionPool.retryConnectionEstablishment = false
        http = HTTPClient(eventLoopGroup: group, configuration: configuration)
    }

    /// Stops the HTTP client and its thread. Call once, from `plugin_cleanup`.
    package func shutdown() {
        try? http.syncShutdown()
        try? group.syncShutdownGracefully()
    }

    /// Asks `/mqtt/auth` whether `password` is valid for `username`.
    package func authenticate(username: String, password: String, clientID: String) -> AuthAnswer {
        let body = Self.json(["username": username, "password": password, "clientid": clientID])
        switch post("/mqtt/auth", body) {
        case .success(let response) where response.status == .ok:
            return .allowed(expiresAt: Self.expiry(in: response))
        case .success(let response) where response.status == .forbidden:
            return .denied
        case .success(let response):
            return .unavailable(reason: "the daemon answered /mqtt/auth with \(response.status.code)")
        case .failure(let error):
            return .unavailable(reason: error.reason)
        }
    }

    /// Asks `/mqtt/acl` whether the client may have `access` to `topic`.
    package func checkACL(username: String?, clientID: String?, topic: String, access: Access) -> ACLAnswer {
        var fields = ["topic": topic, "acc": String(access.rawValue)]
        fields["username"] = username
        fields["clientid"] = clientID
        switch post("/mqtt/acl", Self.json(fields)) {
        case .success(let response) where response.status == .ok:
            return .allowed
        case .success(let response) where response.status == .forbidden:
            return .denied
        case .success(let response):
            return .unavailable(reason: "the daemon answered /mqtt/acl with \(response.status.code)")
        case .failure(let error):
            return .unavailable(reason: error.reason)
        }
    }

    private struct Failure: Error {
        var reason: String
    }

    private func post(_ path: String, _ body: ByteBuffer) -> Result<HTTPClient.Response, Failure> {
        do {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            let request = try HTTPClient.Request(url: baseURL + path, method: .POST, headers: headers, body: .byteBuffer(body))
            return .success(try http.execute(request: request, deadline: .now() + timeout).wait())
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            return .failure(Failure(reason: "no answer from \(baseURL)\(path) within \(timeout.nanoseconds / 1_000_000) ms"))
        } catch {
            // The request carries the password in its body, never in the URL or the error.
            return .failure(Failure(reason: "cannot reach \(baseURL)\(path): \(error)"))
        }
    }

    /// A request body: a flat JSON object of strings. Slashes are left unescaped (JSON allows
    /// both), so that topics and client ids stay within the plain subset the daemon reads
    /// without `JSONDecoder`; quotes, backslashes and control characters are still escaped.
    package static func json(_ fields: [String: String]) -> ByteBuffer {
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.withoutEscapingSlashes])) ?? Data("{}".utf8)
        return ByteBuffer(bytes: data)
    }

    private struct AuthBody: Decodable {
        var expires_at: String?
    }

    /// The `expires_at` of a JSON answer, or nil for a text answer or a missing or odd value.
    private static func expiry(in response: HTTPClient.Response) -> Date? {
        guard let body = response.body,
              let decoded = try? JSONDecoder().decode(AuthBody.self, from: Data(body.readableBytesView)),
              let text = decoded.expires_at
        else { return nil }
        return try? Date(text, strategy: .iso8601)
    }
}
