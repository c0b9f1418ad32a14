import Foundation
import HTTPTypes
import MQTTAuthCore
import NIOCore

/// The mosquitto-go-auth HTTP backend protocol, which jpmens mosquitto-auth-plug and our own
/// plugin speak too: `/mqtt/auth`, `/mqtt/superuser` and `/mqtt/acl`. Allow is 200, deny
/// 403, bad input 400 (413 for a body over the limit); never a 5xx for anything a client sent,
/// since go-auth treats a 5xx as an error and drops the client.
///
/// Mosquitto checks every delivered message (`acc=1`), so a subscribe here keeps DESIGN's
/// lenient rule: a filter that partly overlaps a deny rule is allowed.
struct GoAuthAdapter {
    let decisions: BrokerDecisions
    let runtime: Runtime

    func reply(_ endpoint: BrokerEndpoint.ID, _ call: BrokerEndpoints.Call) -> BrokerEndpoints.Reply {
        let mode = runtime.configuration.broker.responseBody
        do {
            let request = try BrokerRequest.parse(body: call.body, contentType: call.contentType, query: call.query)
            let verdict: BrokerDecisions.Verdict
            switch endpoint {
            case .mqttAuth:
                let username = try request.required(request.username, "username")
                let password = try request.required(request.password, "password")
                switch decisions.authenticate(username: username, password: password, in: runtime) as BrokerDecisions.Authentication {
                case .decided(let decided): verdict = decided
                case .lookUp(let lookUp): return .later { Self.answer(await lookUp.verdict(), mode: mode) }
                }
            case .mqttSuperuser:
                let username = try request.required(request.username, "username")
                let allowed = decisions.isSuperuser(username, in: runtime)
                verdict = .init(allowed: allowed, reason: allowed ? "" : "not a superuser")
            default:
                let topic = try request.required(request.topic, "topic")
                let allowed = decisions.check(
                    user: request.username, clientID: request.clientID, topic: topic, access: try request.access(), strictSubscribe: false, in: runtime)
                verdict = .init(allowed: allowed, reason: allowed ? "" : "not allowed")
            }
            return .ready(Self.answer(verdict, mode: mode))
        } catch {
            return .ready(Self.format(.init(allowed: false, reason: error.message), status: error.status, mode: mode))
        }
    }

    func refused(_ error: APIError) -> BrokerEndpoints.Answer {
        Self.format(.init(allowed: false, reason: error.message), status: error.status, mode: runtime.configuration.broker.responseBody)
    }

    static func answer(_ verdict: BrokerDecisions.Verdict, mode: BrokerSettings.ResponseBody) -> BrokerEndpoints.Answer {
        format(verdict, status: verdict.allowed ? .ok : .forbidden, mode: mode)
    }

    /// The JSON bodies, written directly: they are tiny and fixed, and this is the hottest path.
    /// Only `reason` (from a fixed set of messages, escaped anyway), an ISO 8601 date and the
    /// user's attributes (JSON-escaped) vary.
    private static func json(_ verdict: BrokerDecisions.Verdict) -> ByteBuffer {
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

    private static func format(_ verdict: BrokerDecisions.Verdict, status: HTTPResponse.Status, mode: BrokerSettings.ResponseBody) -> BrokerEndpoints.Answer {
        switch mode {
        case .json:
            return .init(status: status, contentType: "application/json", body: json(verdict))
        case .text:
            let text = verdict.allowed ? "ok" : verdict.reason
            return .init(status: status, contentType: "text/plain; charset=utf-8", body: ByteBuffer(string: text))
        }
    }
}
