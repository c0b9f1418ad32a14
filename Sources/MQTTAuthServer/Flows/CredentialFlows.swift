import Foundation
import Logging
import MQTTAuthCore
import MQTTAuthStore

/// The exchange and the refresh as decisions, with no HTTP in them (docs/architecture.md §4,
/// §4.9): a request value, the runtime in force, a clock and the store in; the issued
/// credential, or a `FlowError`, out. `ExchangeController` and `LifecycleController` keep only
/// what is HTTP: keys from headers, body limits, CORS, rate limits, status codes.
package struct CredentialFlows: Sendable {
    package let store: any CredentialStore
    package let now: @Sendable () -> Date

    package init(store: any CredentialStore, now: @escaping @Sendable () -> Date) {
        self.store = store
        self.now = now
    }

    /// An exchange by the API key `apiKey` (its name).
    package struct Exchange: Sendable {
        package var apiKey: String
        package var provider: String
        package var token: String
        package var ttl: Int?

        package init(apiKey: String, provider: String, token: String, ttl: Int? = nil) {
            self.apiKey = apiKey
            self.provider = provider
            self.token = token
            self.ttl = ttl
        }
    }

    /// A refresh by the API key `apiKey` (its name) of the credential `tokenID`.
    package struct Refresh: Sendable {
        package var apiKey: String
        package var tokenID: String
        package var password: String

        package init(apiKey: String, tokenID: String, password: String) {
            self.apiKey = apiKey
            self.tokenID = tokenID
            self.password = password
        }
    }

    /// What either flow issued.
    package struct Issued: Sendable {
        package let credential: IssuedCredential
        package let provider: String
        /// The identity's `sub`.
        package let subject: String
        /// The flow's clock when it issued: `expires_in` counts from it.
        package let at: Date
    }

    package func exchange(_ request: Exchange, runtime: Runtime, logger: Logger) async throws(FlowError) -> Issued {
        guard let provider = runtime.providers[request.provider] else { throw .providerNotFound("no provider named '\(request.provider.printable)'") }
        guard provider.configuration.enabled else { throw .providerNotFound("provider '\(request.provider.printable)' is disabled") }
        let token: VerifiedToken
        do {
            token = try await provider.verifier.verify(request.token)
        } catch {
            throw .refused(code: error.code.rawValue, message: error.message)
        }
        let issuedAt = now()
        let expiresAt = Self.expiry(token: token, ttl: request.ttl ?? provider.configuration.credentialTTL,
                                    maxTTL: runtime.configuration.credentials.maxTTL, now: issuedAt)
        // A token accepted within the leeway of its expiry leaves nothing worth issuing.
        guard expiresAt.timeIntervalSince(issuedAt) >= 1 else {
            throw .refused(code: "token_expired", message: "exp: the token expires too soon to issue a credential")
        }
        let username: String
        do {
            username = try CredentialRules.username(source: provider.configuration.username, subject: token.subject,
                                                    email: token.email, emailVerified: token.emailVerified)
        } catch {
            throw .refused(code: "invalid_token", message: error.description)
        }
        let credential = try await issue(
            provider: provider.configuration.name, subject: token.subject, username: username, expiresAt: expiresAt,
            attributes: ClaimAttributes.read(provider.configuration.attributes, from: request.token),
            origin: CredentialOrigin(apiKey: request.apiKey, sessionStartedAt: issuedAt), runtime: runtime, now: issuedAt, logger: logger
        )
        logger.info("issued MQTT credential", metadata: Self.metadata(credential, provider: provider.configuration.name, apiKey: request.apiKey))
        return Issued(credential: credential, provider: provider.configuration.name, subject: token.subject, at: issuedAt)
    }

    package func refresh(_ request: Refresh, runtime: Runtime, logger: Logger) async throws(FlowError) -> Issued {
        let maxSession = runtime.configuration.credentials.maxSession
        guard maxSession > 0 else {
            throw .refused(code: "token_expired", message: "refresh is turned off (credentials.max_session is 0); exchange a new identity-provider token")
        }
        let started = now()
        let stored: StoredCredential?
        do {
            stored = try await store.credential(tokenID: request.tokenID, now: started)
        } catch {
            logger.error("reading a credential for a refresh failed", metadata: ["error": "\(error)"])
            throw .unavailable
        }
        // One answer for every refusal below, so that none tells which check failed.
        let password = CredentialRules.hash(request.password)
        guard let stored, CredentialRules.constantTimeEqual(stored.hash, password), stored.apiKey == request.apiKey,
              let provider = runtime.providers[stored.provider], provider.configuration.enabled
        else { throw .notRefreshable }
        let lifetime = stored.expiresAt.timeIntervalSince(stored.issuedAt)
        let sessionEnd = stored.sessionStartedAt.addingTimeInterval(TimeInterval(maxSession))
        let expiresAt = min(started.addingTimeInterval(lifetime), sessionEnd)
        guard expiresAt.timeIntervalSince(started) >= 1 else {
            throw .refused(code: "token_expired", message: "the session reached credentials.max_session; exchange a new identity-provider token")
        }
        let credential = try await issue(
            provider: stored.provider, subject: stored.subject, username: stored.username, expiresAt: expiresAt,
            attributes: stored.attributes,
            origin: CredentialOrigin(apiKey: request.apiKey, sessionStartedAt: stored.sessionStartedAt, replacing: stored.tokenID),
            runtime: runtime, now: started, logger: logger
        )
        var metadata = Self.metadata(credential, provider: stored.provider, apiKey: request.apiKey)
        metadata["credential.replaces"] = .string(stored.tokenID)
        logger.info("refreshed MQTT credential", metadata: metadata)
        return Issued(credential: credential, provider: stored.provider, subject: stored.subject, at: started)
    }

    private func issue(
        provider: String, subject: String, username: String, expiresAt: Date, attributes: UserAttributes, origin: CredentialOrigin,
        runtime: Runtime, now: Date, logger: Logger
    ) async throws(FlowError) -> IssuedCredential {
        do {
            return try await store.issue(
                provider: provider, subject: subject, username: username, expiresAt: expiresAt,
                maxPerUser: runtime.configuration.credentials.maxPerUser, attributes: attributes, origin: origin, now: now
            )
        } catch let refusal as IssueRefusal {
            switch refusal {
            case .blocked(let until): throw .blocked(until: until)
            case .replacedCredentialGone: throw .notRefreshable
            }
        } catch {
            // Nothing was answered, so nothing is lost: the caller may retry.
            logger.error("storing a credential failed", metadata: ["error": "\(error)"])
            throw .unavailable
        }
    }

    /// One event's metadata, dotted: never the password.
    private static func metadata(_ credential: IssuedCredential, provider: String, apiKey: String) -> Logger.Metadata {
        [
            "credential.username": .string(credential.username),
            "credential.provider": .string(provider),
            "credential.token_id": .string(credential.tokenID),
            "credential.expires_at": .string(ISO8601.string(credential.expiresAt)),
            "api_key.name": .string(apiKey),
        ]
    }

    /// docs/architecture.md §4: by default the token's own expiry; a requested ttl (or else the
    /// provider's `credential_ttl`), up to `maxTTL`, instead; never beyond `maxTTL` from now.
    static func expiry(token: VerifiedToken, ttl: Int?, maxTTL: Int, now: Date) -> Date {
        let ceiling = now.addingTimeInterval(TimeInterval(maxTTL))
        guard let ttl else { return min(token.expiresAt, ceiling) }
        return now.addingTimeInterval(TimeInterval(min(ttl, maxTTL)))
    }
}

/// Why a flow issued nothing. Each case says what the caller did wrong, not how HTTP says it.
package enum FlowError: Error, Equatable, Sendable {
    /// No enabled provider of that name.
    case providerNotFound(String)
    /// The token or the request was refused: `invalid_token` or `token_expired`.
    case refused(code: String, message: String)
    /// Every refused refresh, alike (wrong password, unknown, revoked, another key's).
    case notRefreshable
    /// The user was terminated with a block.
    case blocked(until: Date)
    /// The store could not answer; nothing was issued.
    case unavailable
}
