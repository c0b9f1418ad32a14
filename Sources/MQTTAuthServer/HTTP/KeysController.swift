import Foundation
import Hummingbird
import Logging
import MQTTAuthCore
import MQTTAuthStore

/// The stored API keys through the admin API (README "Keys in the store"), with an admin key
/// only (an exchange key gets 403):
/// - `POST /v2/admin/keys` `{"name", "kind"?, "expires_in_days"?}` → 201 with the key, once;
/// - `GET /v2/admin/keys` → every stored key, never a key or a hash;
/// - `DELETE /v2/admin/keys/{name}` → 200, or 404 when no live key has that name.
struct KeysController<Context: RequestContext>: Sendable {
    let runtime: RuntimeBox
    let store: any CredentialStore
    let now: @Sendable () -> Date
    let audit: AdminAudit

    static var bodyLimit: Int { 16 * 1024 }
    /// The longest `expires_in_days`: ten years.
    static var maxExpiryDays: Int { 3650 }

    func register(on router: Router<Context>) {
        router.post("/v2/admin/keys") { request, context in try await create(request, context) }
        router.get("/v2/admin/keys") { request, context in try await list(request, context) }
        router.delete("/v2/admin/keys/:name") { request, context in try await revoke(request, context) }
    }

    private struct CreateBody: Decodable {
        // swiftlint:disable identifier_name
        let name: String
        let kind: String?
        let expires_in_days: Int?
        // swiftlint:enable identifier_name
    }

    /// What the answers say of a key: never the key or its hash.
    struct KeyInfo: Encodable {
        // swiftlint:disable identifier_name
        let name: String
        let kind: String
        let created_at: String
        let expires_at: String?
        let revoked_at: String?
        let last_used_at: String?
        // swiftlint:enable identifier_name

        init(_ key: StoredAPIKey) {
            name = key.name
            kind = key.kind.rawValue
            created_at = ISO8601.string(key.createdAt)
            expires_at = key.expiresAt.map(ISO8601.string)
            revoked_at = key.revokedAt.map(ISO8601.string)
            last_used_at = key.lastUsedAt.map(ISO8601.string)
        }
    }

    private struct Created: Encodable {
        let key: String
        let info: KeyInfo

        func encode(to encoder: any Encoder) throws {
            try info.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(key, forKey: .key)
        }

        enum CodingKeys: String, CodingKey { case key }
    }

    private func create(_ request: Request, _ context: Context) async throws -> Response {
        var request = request
        let runtime = runtime.current
        let caller = Caller.admin(try Caller.admin(request, runtime))
        let body: CreateBody
        do {
            body = try JSONDecoder().decode(CreateBody.self, from: Data(try await request.body(upTo: Self.bodyLimit).readableBytesView))
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.invalidRequest("body must be a JSON object with a string name, an optional kind and an optional whole number expires_in_days")
        }
        guard CredentialRules.isAPIKeyName(body.name) else {
            throw APIError.invalidRequest("name must be 1 to 64 of A-Z, a-z, 0-9, '_', '.' and '-'")
        }
        guard let kind = StoredAPIKey.Kind(rawValue: body.kind ?? "secret") else {
            throw APIError.invalidRequest("kind must be secret or publishable")
        }
        if let days = body.expires_in_days, !(1...Self.maxExpiryDays).contains(days) {
            throw APIError.invalidRequest("expires_in_days must be between 1 and \(Self.maxExpiryDays)")
        }
        guard !runtime.configurationHasKey(named: body.name) else { throw APIError.keyNameTaken }
        let started = now()
        let key = NewAPIKey(
            name: body.name, kind: kind, expiresAt: body.expires_in_days.map { started.addingTimeInterval(TimeInterval($0) * 86400) }, now: started
        )
        let stored: StoredAPIKey
        do {
            stored = try await store.createAPIKey(key)
        } catch APIKeyRefusal.nameTaken {
            throw APIError.keyNameTaken
        } catch {
            context.logger.error("creating an API key failed", metadata: ["error": "\(error)"])
            throw APIError(status: .serviceUnavailable, code: "unavailable", message: "the store is unavailable; no key was created")
        }
        audit.record(context.logger, caller, .createKey, target: stored.name)
        return JSONResponse.make(.created, Created(key: key.key, info: KeyInfo(stored)))
    }

    private struct Listed: Encodable {
        let keys: [KeyInfo]
    }

    private func list(_ request: Request, _ context: Context) async throws -> Response {
        let caller = Caller.admin(try Caller.admin(request, runtime.current))
        let keys: [StoredAPIKey]
        do {
            keys = try await store.listAPIKeys()
        } catch {
            context.logger.error("listing the API keys failed", metadata: ["error": "\(error)"])
            throw APIError(status: .serviceUnavailable, code: "unavailable", message: "the store is unavailable; try again")
        }
        audit.record(context.logger, caller, .listKeys, target: "")
        return JSONResponse.make(.ok, Listed(keys: keys.map(KeyInfo.init)))
    }

    private struct Revoked: Encodable {
        let name: String
        let revoked: Bool
    }

    private func revoke(_ request: Request, _ context: Context) async throws -> Response {
        let caller = Caller.admin(try Caller.admin(request, runtime.current))
        guard let name = context.parameters.get("name"), CredentialRules.isAPIKeyName(name) else {
            throw APIError.invalidRequest("the path does not hold a key name")
        }
        let revoked: Bool
        do {
            revoked = try await store.revokeAPIKey(name: name, now: now())
        } catch {
            context.logger.error("revoking an API key failed", metadata: ["error": "\(error)"])
            throw APIError(status: .serviceUnavailable, code: "unavailable", message: "the store is unavailable; nothing was revoked")
        }
        guard revoked else {
            throw APIError(status: .notFound, code: "key_not_found", message: "no live stored API key has this name")
        }
        audit.record(context.logger, caller, .revokeKey, target: name)
        return JSONResponse.make(.ok, Revoked(name: name, revoked: true))
    }
}

extension APIError {
    static let keyNameTaken = APIError(status: .conflict, code: "key_exists", message: "an API key with this name exists already")
}
