import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MQTTAuthCore
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The plugin's connection to mqtt-authd: one `/mqtt/auth` request per CONNECT, in `http` ACL
/// mode one `/mqtt/acl` request per check, and in `synced` mode the policy (`fetchPolicy`).
///
/// The broker calls its plugin on its single thread and expects an answer, so every call here
/// waits, bounded by the configured timeout, for the answer. The HTTP client runs on its own
/// event-loop thread, started with the client and stopped by `shutdown()`; it keeps its
/// connections to the daemons open between requests.
///
/// **Failover.** With several daemon URLs a call goes to the first that answers. A daemon that
/// refused the connection, timed out or answered 5xx is skipped for `backOff`, unless every
/// daemon is; the whole call, every attempt included, stays within the timeout.
package final class DaemonClient: Sendable {
    /// What the daemon answered to a password check.
    package enum AuthAnswer: Equatable, Sendable {
        /// 200: the credential is valid; `expiresAt` is when it stops being valid, if the
        /// daemon said (`expires_at`, JSON bodies only); `attributes` are the user's
        /// (`attributes`, JSON bodies only), for this session's ACL checks; `tokenID` names the
        /// credential (`token_id`), for the revocation feed (`RevocationFeed`).
        case allowed(expiresAt: Date?, attributes: UserAttributes, tokenID: String?)
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
    private let baseURLs: [String]
    private let timeout: TimeAmount
    private let token: String?
    /// Until when each daemon is skipped.
    private let skippedUntil: Mutex<[NIODeadline]>
    /// How long a daemon that failed is skipped.
    package static let backOff = TimeAmount.seconds(2)

    package init(options: PluginOptions) {
        baseURLs = options.urls
        token = options.token
        skippedUntil = Mutex(Array(repeating: .uptimeNanoseconds(0), count: options.urls.count))
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
            return Self.allowed(body: response.body.map { Data($0.readableBytesView) })
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

    /// The daemons in the order to try them now: those not backing off first.
    private func order(now: NIODeadline) -> [Int] {
        let until = skippedUntil.withLock { $0 }
        let ready = until.indices.filter { until[$0] <= now }
        return ready + until.indices.filter { until[$0] > now }
    }

    private func skip(_ index: Int, now: NIODeadline) {
        skippedUntil.withLock { $0[index] = now + Self.backOff }
    }

    private func post(_ path: String, _ body: ByteBuffer) -> Result<HTTPClient.Response, Failure> {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        let deadline = NIODeadline.now() + timeout
        var reasons: [String] = []
        let sequence = order(now: .now())
        for (position, index) in sequence.enumerated() {
            let now = NIODeadline.now()
            guard now < deadline else { break }
            let url = baseURLs[index] + path
            let isLast = position == sequence.count - 1
            do {
                let request = try HTTPClient.Request(url: url, method: .POST, headers: headers, body: .byteBuffer(body))
                let response = try http.execute(request: request, deadline: Self.share(of: deadline, now: now, left: sequence.count - position)).wait()
                if response.status.code >= 500, !isLast {
                    skip(index, now: .now())
                    reasons.append("\(url) answered \(response.status.code)")
                    continue
                }
                return .success(response)
            } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
                skip(index, now: .now())
                reasons.append("no answer from \(url) within \(timeout.nanoseconds / 1_000_000) ms")
            } catch {
                // The request carries the password in its body, never in the URL or the error.
                skip(index, now: .now())
                reasons.append("cannot reach \(url): \(error)")
            }
        }
        if reasons.isEmpty { reasons.append("no daemon tried within \(timeout.nanoseconds / 1_000_000) ms") }
        return .failure(Failure(reason: reasons.joined(separator: "; ")))
    }

    /// The deadline of one attempt: an equal share of the time left among the daemons left, so
    /// that one that swallows packets cannot use up the whole timeout.
    private static func share(of deadline: NIODeadline, now: NIODeadline, left: Int) -> NIODeadline {
        now + TimeAmount.nanoseconds((deadline - now).nanoseconds / Int64(max(1, left)))
    }

    /// What a policy fetch found.
    package enum PolicyAnswer: Sendable {
        /// A new policy document (not yet checked) and the daemon's ETag for it.
        case changed(body: Data, etag: String?)
        /// 304: the policy is still `etag`.
        case unchanged
        case unavailable(reason: String)
    }

    /// `GET /v2/policy` with `If-None-Match: etag`, on the client's own thread: never blocks
    /// the broker. Failover and the timeout work as for the other calls.
    package func fetchPolicy(etag: String?) async -> PolicyAnswer {
        switch await get("/v2/policy", ifNoneMatch: etag, limit: Self.policyLimit) {
        case .success(let answer) where answer.status == 304:
            return .unchanged
        case .success(let answer):
            return .changed(body: Data(answer.body.readableBytesView), etag: answer.etag)
        case .failure(let failure):
            return .unavailable(reason: failure.reason)
        }
    }

    /// What the revocation feed answered.
    package enum RevocationAnswer: Equatable, Sendable {
        /// The token ids revoked since the cursor asked for; `cursor` is where to go on from,
        /// and `complete` is false when the daemon had more than one answer holds.
        case revoked(tokenIDs: [String], cursor: Int64, complete: Bool)
        case unavailable(reason: String)
    }

    /// `GET /v2/revocations?since=…` (docs/architecture.md §4.11), like `fetchPolicy`.
    package func fetchRevocations(since: Int64?) async -> RevocationAnswer {
        let path = "/v2/revocations" + (since.map { "?since=\($0)" } ?? "")
        switch await get(path, ifNoneMatch: nil, limit: Self.revocationsLimit) {
        case .success(let answer) where answer.status == 200:
            struct Body: Decodable {
                // swiftlint:disable:next identifier_name
                let cursor: Int64, token_ids: [String], complete: Bool
            }
            guard let body = try? JSONDecoder().decode(Body.self, from: Data(answer.body.readableBytesView)) else {
                return .unavailable(reason: "the daemon's revocation feed answer does not decode")
            }
            return .revoked(tokenIDs: body.token_ids, cursor: body.cursor, complete: body.complete)
        case .success(let answer):
            return .unavailable(reason: "the daemon answered /v2/revocations with \(answer.status)")
        case .failure(let failure):
            return .unavailable(reason: failure.reason)
        }
    }

    /// The largest revocation feed answer accepted: 8 MiB (the daemon sends at most 10,000 ids).
    package static let revocationsLimit = 8 << 20

    /// A GET on the client's own thread, to the first daemon that answers 200 or 304 (any other
    /// answer or error skips that daemon, as for `post`); with the body of a 200, up to `limit`.
    private func get(_ path: String, ifNoneMatch etag: String?, limit: Int) async -> Result<(status: UInt, etag: String?, body: ByteBuffer), Failure> {
        var reasons: [String] = []
        let deadline = NIODeadline.now() + timeout
        let sequence = order(now: .now())
        for (position, index) in sequence.enumerated() {
            let now = NIODeadline.now()
            guard now < deadline else { break }
            let url = baseURLs[index] + path
            var request = HTTPClientRequest(url: url)
            request.method = .GET
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            if let etag { request.headers.add(name: "If-None-Match", value: etag) }
            do {
                let response = try await http.execute(request, deadline: Self.share(of: deadline, now: now, left: sequence.count - position))
                switch response.status.code {
                case 304:
                    return .success((304, response.headers.first(name: "ETag"), ByteBuffer()))
                case 200:
                    let body = try await response.body.collect(upTo: limit)
                    return .success((200, response.headers.first(name: "ETag"), body))
                default:
                    skip(index, now: .now())
                    reasons.append("\(url) answered \(response.status.code)")
                }
            } catch {
                skip(index, now: .now())
                reasons.append("cannot get \(url): \(error)")
            }
        }
        if reasons.isEmpty { reasons.append("no daemon tried within \(timeout.nanoseconds / 1_000_000) ms") }
        return .failure(Failure(reason: reasons.joined(separator: "; ")))
    }

    /// The largest policy document accepted: 64 MiB, far beyond a sane rule set.
    package static let policyLimit = 64 << 20

    /// A request body: a flat JSON object of strings. Slashes are left unescaped (JSON allows
    /// both), so that topics and client ids stay within the plain subset the daemon reads
    /// without `JSONDecoder`; quotes, backslashes and control characters are still escaped.
    package static func json(_ fields: [String: String]) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = (try? encoder.encode(fields)) ?? Data("{}".utf8)
        return ByteBuffer(bytes: data)
    }

    private struct AuthBody: Decodable {
        var expires_at: String?
        var attributes: [String: [String]]?
        var token_id: String?

        private enum CodingKeys: String, CodingKey { case expires_at, attributes, token_id }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            expires_at = try? container.decodeIfPresent(String.self, forKey: .expires_at)
            attributes = try? container.decodeIfPresent([String: [String]].self, forKey: .attributes)
            token_id = try? container.decodeIfPresent(String.self, forKey: .token_id)
        }
    }

    /// A 200 answer of `/mqtt/auth`: its `expires_at`, `attributes` and `token_id` when the body is JSON
    /// holding them (each ignored when odd), none for a text body.
    package static func allowed(body: Data?) -> AuthAnswer {
        let decoded = body.flatMap { try? JSONDecoder().decode(AuthBody.self, from: $0) }
        return .allowed(expiresAt: decoded?.expires_at.flatMap { try? Date($0, strategy: .iso8601) },
                        attributes: UserAttributes(decoded?.attributes ?? [:]), tokenID: decoded?.token_id)
    }
}
