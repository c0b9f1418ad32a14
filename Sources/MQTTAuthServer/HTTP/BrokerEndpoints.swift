import Foundation
import Hummingbird
import MQTTAuthCore
import MQTTAuthStore
import NIOCore

/// The mosquitto-go-auth HTTP backend protocol: `/mqtt/auth`, `/mqtt/superuser` and
/// `/mqtt/acl`. Allow is 200, deny 403, bad input 400 (413 for a body over the limit); never a
/// 5xx for anything a client sent, since go-auth treats a 5xx as an error and drops the client.
///
/// Everything here is synchronous and never touches the disk, so that it can answer on the
/// connection's event loop (`BrokerFastPath`) as well as from Hummingbird's router.
struct BrokerEndpoints: Sendable {
    enum Endpoint: Sendable {
        case auth, superuser, acl

        init?(path: some StringProtocol) {
            // Compared as bytes: this runs for every request, and String comparison works on
            // characters.
            let bytes = path.utf8
            if bytes.elementsEqual("/mqtt/acl".utf8) {
                self = .acl
            } else if bytes.elementsEqual("/mqtt/auth".utf8) {
                self = .auth
            } else if bytes.elementsEqual("/mqtt/superuser".utf8) {
                self = .superuser
            } else {
                return nil
            }
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
    let store: CredentialStore
    let now: @Sendable () -> Date

    /// Bodies larger than this are refused with 413.
    static let bodyLimit = 64 * 1024

    func answer(_ endpoint: Endpoint, body: ByteBuffer, contentType: String?, query: String?) -> Answer {
        let runtime = runtime.current
        let mode = runtime.configuration.broker.responseBody
        do {
            let request = try BrokerRequest.parse(body: body, contentType: contentType, query: query)
            let verdict = switch endpoint {
            case .auth: try auth(request)
            case .superuser: try superuser(request, runtime)
            case .acl: try acl(request, runtime)
            }
            return Self.format(verdict, status: verdict.allowed ? .ok : .forbidden, mode: mode)
        } catch {
            return Self.format(Verdict(allowed: false, reason: error.message), status: error.status, mode: mode)
        }
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
    }

    private func auth(_ request: BrokerRequest) throws(APIError) -> Verdict {
        let username = try request.required(request.username, "username")
        let password = try request.required(request.password, "password")
        guard let expiresAt = store.authenticate(username: username, password: password, now: now()) else {
            return Verdict(allowed: false, reason: "wrong username or password")
        }
        return Verdict(allowed: true, expiresAt: expiresAt)
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
        let allowed = runtime.acl.isAllowed(user: username, clientID: request.clientID, topic: topic, access: access)
        return Verdict(allowed: allowed, reason: allowed ? "" : "not allowed")
    }

    /// The JSON bodies, written directly: they are tiny and fixed, and this is the hottest path.
    /// Only `reason` (from a fixed set of messages, escaped anyway) and an ISO 8601 date vary.
    private static func json(_ verdict: Verdict) -> ByteBuffer {
        var text = verdict.allowed ? #"{"error":"","# : #"{"error":"# + JSONText.quoted(verdict.reason) + ","
        if let expiresAt = verdict.expiresAt { text += #""expires_at":""# + ISO8601.string(expiresAt) + #"","# }
        text += verdict.allowed ? #""ok":true}"# : #""ok":false}"#
        return ByteBuffer(string: text)
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
