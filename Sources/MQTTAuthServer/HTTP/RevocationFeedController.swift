import Foundation
import Hummingbird
import Logging
import MQTTAuthStore
import NIOCore

/// `GET /v2/revocations?since=<unix seconds>`: the token ids of credentials revoked since then
/// and not yet expired, with the `cursor` to pass next time (docs/architecture.md §4.11). The
/// Mosquitto plugin polls it on its tick and ends the sessions that used those credentials.
/// Guarded like the broker endpoints (`BrokerGuard`).
///
/// The cursor is this daemon's clock, and a poller asks again from a little before it
/// (`RevocationFeed.overlap`): revocations are written by any daemon, whose clocks and commit
/// order differ by a few seconds at most, and an id seen twice only ends sessions already ended.
struct RevocationFeedController<Context: RemoteAddressRequestContext>: Sendable {
    let runtime: RuntimeBox
    let store: any CredentialStore
    let now: @Sendable () -> Date

    /// Ids in one answer at most. A fuller answer says `complete: false` and its cursor is the
    /// last one's revocation time, so that the next poll goes on from there.
    static var limit: Int { 10_000 }
    /// Without `since`: the last minute, so that a plugin that just started misses nothing
    /// revoked while it connected its first clients.
    static var defaultWindow: TimeInterval { 60 }

    private struct Answer: Encodable {
        // swiftlint:disable identifier_name
        let cursor: Int64
        let token_ids: [String]
        let complete: Bool
        // swiftlint:enable identifier_name
    }

    func register(on router: Router<Context>) {
        router.get("/v2/revocations") { request, context in
            let runtime = runtime.current
            if let refusal = runtime.configuration.broker.access.refusal(remote: context.remoteAddress, authorization: request.headers[.authorization]) {
                throw refusal
            }
            let started = now()
            var since = started.addingTimeInterval(-Self.defaultWindow)
            if let text = request.uri.queryParameters.get("since") {
                guard let seconds = Int64(text), seconds >= 0, seconds <= UnixTime.seconds(started) + 86_400 else {
                    throw APIError.invalidRequest("since must be whole Unix seconds")
                }
                since = UnixTime.date(seconds)
            }
            let found: [Revocation]
            do {
                found = try await store.revocations(since: since, now: started, limit: Self.limit)
            } catch {
                context.logger.warning("reading revocations failed", metadata: ["error": "\(error)"])
                throw APIError(status: .serviceUnavailable, code: "unavailable", message: "the credential store is unavailable; try again")
            }
            let complete = found.count < Self.limit
            let cursor = complete ? started : found.last?.revokedAt ?? started
            return JSONResponse.make(.ok, Answer(cursor: UnixTime.seconds(cursor), token_ids: found.map(\.tokenID), complete: complete))
        }
    }
}
