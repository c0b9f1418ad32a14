import ACLCheckKit
import Foundation
import Hummingbird
import Logging
import MQTTAuthCore
import MQTTAuthStore

/// The admin API's reads and the ACL simulator (README "Admin API"), each with an admin key
/// (`Caller.admin`: none or an unknown key is 401, an exchange key 403):
/// - `GET /v2/admin/users/{username}/credentials`: the user's credentials, live and revoked
///   but unexpired, never a password or a hash;
/// - `POST /v2/admin/acl/check`: one decision of the loaded policy, as `aclcheck --json` gives it;
/// - `GET /v2/admin/stats`: counts and the policy version.
///
/// Revocation and terminate are `LifecycleController`'s.
struct AdminController<Context: RequestContext>: Sendable {
    let runtime: RuntimeBox
    let store: any CredentialStore
    let now: @Sendable () -> Date
    let audit: AdminAudit

    static var bodyLimit: Int { 64 * 1024 }

    func register(on router: Router<Context>) {
        router.get("/v2/admin/users/:username/credentials") { request, context in try await credentials(request, context) }
        router.post("/v2/admin/acl/check") { request, context in try await checkACL(request, context) }
        router.get("/v2/admin/stats") { request, context in try await stats(request, context) }
    }

    // MARK: Credentials

    private struct Listed: Encodable {
        // swiftlint:disable identifier_name
        let token_id: String
        let provider: String
        let issued_at: String
        let expires_at: String
        let revoked: Bool
        let revoked_at: String?
        // swiftlint:enable identifier_name
    }

    private struct Listing: Encodable {
        let username: String
        let credentials: [Listed]
    }

    private func credentials(_ request: Request, _ context: Context) async throws -> Response {
        let caller = Caller.admin(try Caller.admin(request, runtime.current))
        guard let username = context.parameters.get("username"), (try? CredentialRules.validateUsername(username)) != nil else {
            throw APIError.invalidRequest("the path does not hold a valid username")
        }
        let found: [CredentialListing]?
        do {
            found = try await store.credentials(of: username, now: now())
        } catch {
            context.logger.error("listing a user's credentials failed", metadata: ["error": "\(error)"])
            throw APIError.storeUnavailable
        }
        guard let found else {
            throw APIError(status: .notFound, code: "user_not_found", message: "no identity holds this username")
        }
        audit.record(context.logger, caller, .listCredentials, target: username)
        return JSONResponse.make(.ok, Listing(username: username, credentials: found.map {
            Listed(token_id: $0.tokenID, provider: $0.provider, issued_at: ISO8601.string($0.issuedAt),
                   expires_at: ISO8601.string($0.expiresAt), revoked: $0.revokedAt != nil, revoked_at: $0.revokedAt.map(ISO8601.string))
        }))
    }

    // MARK: ACL check

    /// `aclcheck --json`'s report, with `decision` (the same as its `result`) and the version of
    /// the policy that decided.
    private struct Checked: Encodable {
        let report: CheckReport
        let policyVersion: String

        private enum CodingKeys: String, CodingKey {
            case decision
            case policyVersion = "policy_version"
        }

        func encode(to encoder: any Encoder) throws {
            try report.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(report.result, forKey: .decision)
            try container.encode(policyVersion, forKey: .policyVersion)
        }
    }

    private func checkACL(_ request: Request, _ context: Context) async throws -> Response {
        var request = request
        let runtime = runtime.current
        let caller = Caller.admin(try Caller.admin(request, runtime))
        let bytes = try await request.body(upTo: Self.bodyLimit)
        let check = try ACLCheckBody.parse(Data(bytes.readableBytesView))
        let decision = check.decide(with: runtime.acl)
        audit.record(context.logger, caller, .checkACL, target: check.user ?? "")
        return JSONResponse.make(.ok, Checked(report: CheckReport(check, decision), policyVersion: runtime.policy.version))
    }

    // MARK: Stats

    private struct Stats: Encodable {
        // swiftlint:disable identifier_name
        let active_credentials: Int
        let users: Int
        /// API keys that open the exchange now: the configured ones and the live stored ones.
        let keys: Int
        let policy_version: String
        // swiftlint:enable identifier_name
    }

    private func stats(_ request: Request, _ context: Context) async throws -> Response {
        let runtime = runtime.current
        let caller = Caller.admin(try Caller.admin(request, runtime))
        let counts: StoreCounts
        let storedKeys: Int
        do {
            let started = now()
            counts = try await store.counts(now: started)
            storedKeys = try await store.listAPIKeys().count { $0.isLive(now: started) }
        } catch {
            context.logger.error("counting for the admin stats failed", metadata: ["error": "\(error)"])
            throw APIError.storeUnavailable
        }
        audit.record(context.logger, caller, .readStats, target: "")
        return JSONResponse.make(.ok, Stats(active_credentials: counts.activeCredentials, users: counts.users,
                                            keys: runtime.configuration.apiKeys.count + storedKeys, policy_version: runtime.policy.version))
    }
}

extension APIError {
    /// A store that cannot be read: nothing was answered from it.
    static let storeUnavailable = APIError(status: .serviceUnavailable, code: "unavailable", message: "the credential store is unavailable; try again")
}
