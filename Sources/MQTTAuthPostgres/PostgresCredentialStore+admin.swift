import Foundation
import MQTTAuthCore
import MQTTAuthStore
import PostgresNIO

/// What the admin API reads (README "Admin API") from the shared database, within the lookup
/// bound: a user's credentials, live and revoked, and the counts. Never a password hash.
extension PostgresCredentialStore {
    package func credentials(of username: String, now: Date) async throws -> [CredentialListing]? {
        let seconds = UnixTime.seconds(now)
        do {
            let found = try await withDeadline(lookupTimeout, "listing credentials") { [self] () async throws -> [CredentialListing]? in
                var provider: String?
                let identity = try await client.query(
                    "SELECT provider FROM mqtt_authd.identities WHERE username = \(username)", logger: logger)
                for try await name in identity.decode(String.self) { provider = name }
                guard let provider else { return nil }
                let rows = try await client.query("""
                    SELECT token_id, created_at, expires_at, NULL::bigint
                        FROM mqtt_authd.credentials WHERE username = \(username) AND expires_at > \(seconds)
                    UNION ALL
                    SELECT token_id, issued_at, expires_at, revoked_at
                        FROM mqtt_authd.revocations WHERE username = \(username) AND expires_at > \(seconds)
                    """, logger: logger)
                var listings: [CredentialListing] = []
                for try await (token, issued, expires, revoked) in rows.decode((String, Int64, Int64, Int64?).self) {
                    listings.append(CredentialListing(
                        tokenID: token, provider: provider, issuedAt: UnixTime.date(issued),
                        expiresAt: UnixTime.date(expires), revokedAt: revoked.map(UnixTime.date)
                    ))
                }
                return CredentialListing.inOrder(listings)
            }
            markReachable()
            return found
        } catch {
            noteFailure(error, "listing credentials")
            throw CredentialStoreError("cannot list the credentials: \(PostgresStoreError.reason(error))")
        }
    }

    package func counts(now: Date) async throws -> StoreCounts {
        do {
            let counts = try await withDeadline(lookupTimeout, "counting credentials") { [self] () async throws -> StoreCounts in
                let rows = try await client.query("""
                    SELECT (SELECT count(*) FROM mqtt_authd.credentials WHERE expires_at > \(UnixTime.seconds(now))),
                           (SELECT count(*) FROM mqtt_authd.identities)
                    """, logger: logger)
                for try await (active, users) in rows.decode((Int64, Int64).self) {
                    return StoreCounts(activeCredentials: Int(active), users: Int(users))
                }
                return StoreCounts(activeCredentials: 0, users: 0)
            }
            markReachable()
            return counts
        } catch {
            noteFailure(error, "counting credentials")
            throw CredentialStoreError("cannot count the credentials: \(PostgresStoreError.reason(error))")
        }
    }
}
