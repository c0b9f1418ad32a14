import Foundation
import Hummingbird
import MQTTAuthCore
import MQTTAuthStore
import NIOCore

/// The mosquitto-go-auth HTTP backend protocol: `/mqtt/auth`, `/mqtt/superuser` and
/// `/mqtt/acl`. Allow is 200, deny 403, bad input 400 (413 for a body over the limit); never a
/// 5xx for anything a client sent, since go-auth treats a 5xx as an error and drops the client.
///
/// Answers come from memory, synchronously, so that they can be given on the connection's event
/// loop (`BrokerFastPath`) as well as from Hummingbird's router. Two exceptions: a password a
/// shared store's memory does not know (docs/architecture.md §9), and a provider's token used
/// as the password whose check is not remembered (§4.7, `TokenLogin`); `answer` then returns
/// `.lookUp`, whose `resolve()` does the asynchronous part.
struct BrokerEndpoints: Sendable {
    enum Endpoint: Sendable {
        case auth, superuser, acl

        /// The endpoint named by a request URI's path (the part before any `?`), or nil.
        init?(uri: String) {
            // Compared as bytes: this runs for every request, and String comparison works on
            // characters.
            var uri = uri
            let endpoint: Endpoint? = uri.withUTF8 { bytes in
                let pathLength = bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.count
                func pathIs(_ name: StaticString) -> Bool {
                    pathLength == name.utf8CodeUnitCount && memcmp(bytes.baseAddress!, name.utf8Start, pathLength) == 0
                }
                if pathIs("/mqtt/acl") { return .acl }
                if pathIs("/mqtt/auth") { return .auth }
                if pathIs("/mqtt/superuser") { return .superuser }
                return nil
            }
            guard let endpoint else { return nil }
            self = endpoint
        }

        var metricsLabel: ServerMetrics.Endpoint {
            switch self {
            case .auth: .auth
            case .superuser: .superuser
            case .acl: .acl
            }
        }
    }

    /// A finished answer, ready to be written by either server path.
    struct Answer {
        var status: HTTPResponse.Status
        var contentType: String
        var body: ByteBuffer
    }

    let runtime: RuntimeBox
    let store: any CredentialStore
    let tokenLogin: TokenLogin
    let now: @Sendable () -> Date

    /// Bodies larger than this are refused with 413.
    static let bodyLimit = 64 * 1024

    /// An answer now, or a store look-up to wait for.
    enum Reply {
        case ready(Answer)
        case lookUp(LookUp)
    }

    /// A `/mqtt/auth` memory cannot decide: `resolve()` asks the store, or checks the token.
    struct LookUp: Sendable {
        let endpoints: BrokerEndpoints
        let username: String
        let password: String
        let mode: BrokerSettings.ResponseBody
        /// The password is a provider's token (`TokenLogin`), not a credential's.
        var isToken = false

        func resolve() async -> Answer {
            BrokerEndpoints.answer(await verdict(), mode: mode)
        }

        func verdict() async -> Verdict {
            if isToken {
                return await endpoints.tokenLogin.check(
                    token: password, username: username, runtime: endpoints.runtime.current, store: endpoints.store, now: endpoints.now())
            }
            var verdict = Self.verdict(await endpoints.store.checkInStore(username: username, password: password, now: endpoints.now()))
            if verdict.allowed { verdict.attributes = endpoints.store.attributes(of: username) }
            return verdict
        }

        static func verdict(_ match: CredentialMatch?) -> Verdict {
            guard let match else { return Verdict(allowed: false, reason: "wrong username or password") }
            return Verdict(allowed: true, expiresAt: match.expiresAt, tokenID: match.tokenID)
        }
    }

    /// The answer, waiting for a store look-up when there is one.
    func answer(_ endpoint: Endpoint, body: ByteBuffer, contentType: String?, query: String?, peer: Peer) async -> Answer {
        switch reply(endpoint, body: body, contentType: contentType, query: query, peer: peer) {
        case .ready(let answer): answer
        case .lookUp(let lookUp): await lookUp.resolve()
        }
    }

    /// Who sent a request: what `BrokerGuard` decides on.
    struct Peer {
        var address: SocketAddress?
        var authorization: String?
    }

    func reply(_ endpoint: Endpoint, body: ByteBuffer, contentType: String?, query: String?, peer: Peer) -> Reply {
        let runtime = runtime.current
        let mode = runtime.configuration.broker.responseBody
        let access = runtime.configuration.broker.access
        if !access.isOpen, let refusal = access.refusal(remote: peer.address, authorization: peer.authorization) {
            return .ready(Self.format(Verdict(allowed: false, reason: refusal.message), status: refusal.status, mode: mode))
        }
        do {
            let request = try BrokerRequest.parse(body: body, contentType: contentType, query: query)
            let verdict: Verdict
            switch endpoint {
            case .auth:
                switch try auth(request, runtime) {
                case .decided(let decided): verdict = decided
                case .lookUp(let username, let password, let isToken):
                    return .lookUp(LookUp(endpoints: self, username: username, password: password, mode: mode, isToken: isToken))
                }
            case .superuser: verdict = try superuser(request, runtime)
            case .acl: verdict = try acl(request, runtime)
            }
            return .ready(Self.answer(verdict, mode: mode))
        } catch {
            return .ready(Self.format(Verdict(allowed: false, reason: error.message), status: error.status, mode: mode))
        }
    }

    static func answer(_ verdict: Verdict, mode: BrokerSettings.ResponseBody) -> Answer {
        format(verdict, status: verdict.allowed ? .ok : .forbidden, mode: mode)
    }

    /// The answer to a body over `bodyLimit`.
    func tooLarge() -> Answer {
        let error = APIError.payloadTooLarge(limit: Self.bodyLimit)
        return Self.format(Verdict(allowed: false, reason: error.message), status: error.status, mode: runtime.current.configuration.broker.responseBody)
    }

    /// What a check decided: allowed (with the credential's expiry for auth), or why not.
    struct Verdict {
        var allowed: Bool
        var reason: String = ""
        var expiresAt: Date?
        /// The matched credential's `token_id`, in an allowing `/mqtt/auth` answer: what the
        /// plugin's revocation feed names (docs/architecture.md §4.11).
        var tokenID: String?
        /// The user's attributes, in an allowing `/mqtt/auth` answer (README "Attributes").
        var attributes: UserAttributes = .none
    }

    enum AuthStep {
        case decided(Verdict)
        case lookUp(username: String, password: String, isToken: Bool)
    }

    private func auth(_ request: BrokerRequest, _ runtime: Runtime) throws(APIError) -> AuthStep {
        let username = try request.required(request.username, "username")
        let password = try request.required(request.password, "password")
        return authStep(username: username, password: password, runtime)
    }

    /// What memory decides of a username and password, or what must be looked up.
    func authStep(username: String, password: String, _ runtime: Runtime) -> AuthStep {
        if runtime.acceptsTokenLogins, TokenLogin.looksLikeToken(password) {
            // A terminated user's block holds against tokens verified before it, too.
            if store.blockedUntil(username, now: now()) != nil { return .decided(LookUp.verdict(nil)) }
            if let known = tokenLogin.remembered(token: password, username: username, runtime: runtime, now: now()) {
                return .decided(known)
            }
            return .lookUp(username: username, password: password, isToken: true)
        }
        switch store.check(username: username, password: password, now: now()) {
        case .valid(let match):
            return .decided(Verdict(allowed: true, expiresAt: match.expiresAt, tokenID: match.tokenID, attributes: store.attributes(of: username)))
        case .invalid: return .decided(LookUp.verdict(nil))
        case .askStore: return .lookUp(username: username, password: password, isToken: false)
        }
    }

    /// `authStep`, then the look-up it asks for: for EMQX's authn, which answers asynchronously.
    func authenticate(username: String, password: String) async -> Verdict {
        let runtime = runtime.current
        switch authStep(username: username, password: password, runtime) {
        case .decided(let verdict): return verdict
        case .lookUp(let username, let password, let isToken):
            let lookUp = LookUp(endpoints: self, username: username, password: password,
                                mode: runtime.configuration.broker.responseBody, isToken: isToken)
            return await lookUp.verdict()
        }
    }

    private func superuser(_ request: BrokerRequest, _ runtime: Runtime) throws(APIError) -> Verdict {
        let username = try request.required(request.username, "username")
        let allowed = runtime.acl.isSuperuser(username)
        return Verdict(allowed: allowed, reason: allowed ? "" : "not a superuser")
    }

    private func acl(_ request: BrokerRequest, _ runtime: Runtime) throws(APIError) -> Verdict {
        let topic = try request.required(request.topic, "topic")
        let access = try request.access()
        let username = request.username.flatMap { $0.isEmpty ? nil : $0 }
        // The user's stored attributes, from their latest exchange or token login.
        let attributes = username.map { store.attributes(of: $0) } ?? .none
        let allowed = runtime.acl.isAllowed(user: username, clientID: request.clientID, topic: topic, access: access, attributes: attributes)
        return Verdict(allowed: allowed, reason: allowed ? "" : "not allowed")
    }

    /// The JSON bodies, written directly: they are tiny and fixed, and this is the hottest path.
    /// Only `reason` (from a fixed set of messages, escaped anyway), an ISO 8601 date and the
    /// user's attributes (JSON-escaped) vary.
    private static func json(_ verdict: Verdict) -> ByteBuffer {
        var body = ByteBuffer()
        body.reserveCapacity(64)
        if verdict.allowed, !verdict.attributes.values.isEmpty {
            body.writeStaticString(#"{"attributes":"#)
            body.writeString(verdict.attributes.json)
            body.writeStaticString(#","error":"","#)
        } else if verdict.allowed {
            body.writeStaticString(#"{"error":"","#)
        } else {
            body.writeStaticString(#"{"error":"#)
            body.writeString(JSONText.quoted(verdict.reason))
            body.writeStaticString(",")
        }
        if let expiresAt = verdict.expiresAt {
            body.writeStaticString(#""expires_at":""#)
            ISO8601.write(expiresAt, to: &body)
            body.writeStaticString(#"","#)
        }
        if verdict.allowed, let tokenID = verdict.tokenID {
            body.writeStaticString(#""ok":true,"token_id":"#)
            body.writeString(JSONText.quoted(tokenID))
            body.writeStaticString("}")
        } else {
            body.writeStaticString(verdict.allowed ? #""ok":true}"# : #""ok":false}"#)
        }
        return body
    }

    private static func format(_ verdict: Verdict, status: HTTPResponse.Status, mode: BrokerSettings.ResponseBody) -> Answer {
        switch mode {
        case .json:
            return Answer(status: status, contentType: "application/json", body: json(verdict))
        case .text:
            let text = verdict.allowed ? "ok" : verdict.reason
            return Answer(status: status, contentType: "text/plain; charset=utf-8", body: ByteBuffer(string: text))
        }
    }
}
