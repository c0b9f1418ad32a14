import Foundation
import MQTTAuthCore
import MQTTAuthStore

/// The broker decisions, for every protocol (docs/architecture.md §2.8): authenticate a
/// username and password, tell a superuser, and check a topic. This is the one place where
/// stored credentials, revocation (a revoked credential is gone from the store's memory), a
/// user's block, a provider's token as the password (`TokenLogin`) and the user's attributes
/// apply. It holds no HTTP: each protocol's adapter decodes its request, calls one of these
/// and encodes the answer.
///
/// Answers come from memory, synchronously, so that adapters can answer on the connection's
/// event loop (`BrokerFastPath`). Two exceptions, both in `authenticate`: a password a shared
/// store's memory does not know (§9), and a provider's token whose check is not remembered
/// (§4.7). Those come back as `.lookUp`, whose `verdict()` does the asynchronous part.
struct BrokerDecisions: Sendable {
    let runtime: RuntimeBox
    let store: any CredentialStore
    let tokenLogin: TokenLogin
    let now: @Sendable () -> Date

    /// What a decision found: allowed (with the credential's expiry, token id and the user's
    /// attributes, for an authentication), or why not.
    struct Verdict: Sendable {
        var allowed: Bool
        var reason: String = ""
        var expiresAt: Date?
        /// The matched credential's `token_id`, in an allowing authentication: what the
        /// plugin's revocation feed names (§4.11).
        var tokenID: String?
        /// The user's attributes, in an allowing authentication (README "Attributes").
        var attributes: UserAttributes = .none

        static let wrongPassword = Verdict(allowed: false, reason: "wrong username or password")
    }

    /// An authentication memory decided, or the look-up it needs.
    enum Authentication: Sendable {
        case decided(Verdict)
        case lookUp(LookUp)
    }

    /// An authentication memory cannot decide: `verdict()` asks the store, or checks the token.
    struct LookUp: Sendable {
        let decisions: BrokerDecisions
        let username: String
        let password: String
        /// The password is a provider's token (`TokenLogin`), not a credential's.
        let isToken: Bool

        func verdict() async -> Verdict {
            if isToken {
                return await decisions.tokenLogin.check(
                    token: password, username: username, runtime: decisions.runtime.current, store: decisions.store, now: decisions.now())
            }
            guard let match = await decisions.store.checkInStore(username: username, password: password, now: decisions.now()) else {
                return .wrongPassword
            }
            return Verdict(allowed: true, expiresAt: match.expiresAt, tokenID: match.tokenID, attributes: decisions.store.attributes(of: username))
        }
    }

    /// Whether `password` is `username`'s: an issued credential's, or (with `mqtt_login`) a
    /// provider's token bound to that username. Memory first; a miss that memory cannot refuse
    /// becomes a look-up.
    ///
    /// Every decision takes the `runtime` its request started with (`BrokerEndpoints.reply`
    /// reads it once), so that a reload never splits one request between two configurations.
    func authenticate(username: String, password: String, in runtime: Runtime) -> Authentication {
        if runtime.acceptsTokenLogins, TokenLogin.looksLikeToken(password) {
            // A terminated user's block holds against tokens verified before it, too.
            if store.blockedUntil(username, now: now()) != nil { return .decided(.wrongPassword) }
            if let known = tokenLogin.remembered(token: password, username: username, runtime: runtime, now: now()) {
                return .decided(known)
            }
            return .lookUp(LookUp(decisions: self, username: username, password: password, isToken: true))
        }
        switch store.check(username: username, password: password, now: now()) {
        case .valid(let match):
            return .decided(Verdict(allowed: true, expiresAt: match.expiresAt, tokenID: match.tokenID, attributes: store.attributes(of: username)))
        case .invalid:
            return .decided(.wrongPassword)
        case .askStore:
            return .lookUp(LookUp(decisions: self, username: username, password: password, isToken: false))
        }
    }

    /// `authenticate`, then the look-up it asks for.
    func authenticate(username: String, password: String, in runtime: Runtime) async -> Verdict {
        switch authenticate(username: username, password: password, in: runtime) as Authentication {
        case .decided(let verdict): verdict
        case .lookUp(let lookUp): await lookUp.verdict()
        }
    }

    func isSuperuser(_ username: String, in runtime: Runtime) -> Bool {
        runtime.acl.isSuperuser(username)
    }

    /// Whether `user` (nil: a client without a username) may use `topic` (a filter, for a
    /// subscribe) for `access`, with the user's stored attributes.
    ///
    /// `strictSubscribe` is for protocols whose broker checks a subscription but never each
    /// delivered message (RabbitMQ, EMQX, VerneMQ): a subscribe is then allowed only if no deny
    /// rule overlaps the filter at all (README "Subscriptions on other brokers").
    func check(user: String?, clientID: String?, topic: String, access: Access, strictSubscribe: Bool, in runtime: Runtime) -> Bool {
        let user = user.flatMap { $0.isEmpty ? nil : $0 }
        let attributes = user.map { store.attributes(of: $0) } ?? .none
        return runtime.acl.isAllowed(
            user: user, clientID: clientID, topic: topic, access: access, attributes: attributes, strictSubscribe: strictSubscribe)
    }
}
