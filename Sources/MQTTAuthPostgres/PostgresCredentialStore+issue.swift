import Foundation
import Logging
import MQTTAuthCore
import MQTTAuthStore
import NIOCore
import PostgresNIO
import Synchronization

/// What the database did for one exchange.
struct IssueOutcome: Sendable {
    var username: String
    var isNew: Bool
    var revision: Int64
    var credential: CredentialIndex.Entry
    /// Ids of the user's credentials the exchange deleted (expired or over the cap).
    var dropped: [Int64]
    /// Why the database issued nothing for this request, though it bound the identity.
    var refused: IssueRefusal?
}

extension PostgresCredentialStore {
    /// Candidate names sent for each request in one call of `issue_credentials` after the
    /// first, which sends only the derived name itself: nearly always enough (the identity is
    /// bound already, or the name is free), and the suffixed names cost a hash each.
    static let candidatesPerCall = 4
    /// Most candidate names tried for one identity, as on SQLite.
    static let maxNameAttempts = 100
    /// Times a batch is tried again after PostgreSQL broke a deadlock by aborting it.
    static let deadlockRetries = 3

    package func issue(
        provider: String,
        subject: String,
        username: String,
        expiresAt: Date,
        maxPerUser: Int,
        attributes: UserAttributes,
        origin: CredentialOrigin,
        now: Date
    ) async throws -> IssuedCredential {
        let new = try NewCredential(username: username, expiresAt: expiresAt, maxPerUser: maxPerUser, now: now)
        let request = IssueRequest(
            provider: provider, subject: subject, username: username, hash: new.hash,
            expires: new.expires, now: now, maxPerUser: maxPerUser, attributes: attributes,
            tokenID: new.tokenID, origin: origin
        )
        let outcome = try await issues.submit(request)
        if let refused = outcome.refused { throw refused }
        logger.debug("issued a credential", metadata: [
            "credential.username": "\(outcome.username)",
            "credential.expires_at": "\(new.expiresAt.formatted(.iso8601))",
            "credential.dropped": "\(outcome.dropped.count)",
            "identity.provider": "\(provider)",
            "identity.new": "\(outcome.isNew)",
        ])
        return IssuedCredential(username: outcome.username, password: new.password, expiresAt: new.expiresAt,
                                tokenID: new.tokenID, issuedAt: UnixTime.date(UnixTime.seconds(now)))
    }

    /// Writes a batch (`IssueQueue`): one transaction, one `issue_credentials` call, within
    /// `writeTimeout`; requests whose candidate names were all taken go again with the next
    /// ones. Only after the commit does memory learn the credentials and are callers answered.
    func write(_ batch: [IssueRequest]) async -> [Result<IssueOutcome, any Error>] {
        writesStarted.add(1, ordering: .sequentiallyConsistent)
        defer {
            writesFinished.add(1, ordering: .sequentiallyConsistent)
            if !pendingUsers.withLock(\.isEmpty) { wakeRefetch.yield() }
        }
        var results = [Result<IssueOutcome, any Error>?](repeating: nil, count: batch.count)
        var waiting = Array(batch.indices)
        var attempt = -1
        while !waiting.isEmpty {
            guard attempt < Self.maxNameAttempts else {
                for index in waiting { results[index] = .failure(CredentialStoreError("cannot store the credential: \(PostgresStoreError.noFreeUsername)")) }
                break
            }
            let first = attempt
            let count = attempt < 0 ? 1 : Self.candidatesPerCall
            attempt += count
            // The same order of identities in every daemon's batches, so that their row locks
            // are taken in one order.
            let order = waiting.sorted { (batch[$0].provider, batch[$0].subject) < (batch[$1].provider, batch[$1].subject) }
            let requests = order.map { batch[$0] }
            do {
                let outcomes = try await withDeadline(writeTimeout, "storing credentials") { [self] in
                    try await writeOnce(requests, attempts: first..<(first + count))
                }
                markReachable()
                var named: Set<Int> = []
                var refetch: [String] = []
                index.withLock { index in
                    // In the order the database wrote them, so that two exchanges of one user
                    // in a batch apply as revision r + 1, then r + 2.
                    for (position, outcome) in outcomes.sorted(by: { $0.key < $1.key }) {
                        if outcome.refused != nil {
                            // The identity's revision moved without a credential: read it whole.
                            refetch.append(outcome.username)
                        } else if !index.applyChange(for: outcome.username, revision: outcome.revision, added: outcome.credential,
                                              removed: outcome.dropped, attributes: requests[position].attributes, isNew: outcome.isNew) {
                            refetch.append(outcome.username)
                        }
                        results[order[position]] = .success(outcome)
                        named.insert(order[position])
                    }
                }
                if !refetch.isEmpty {
                    // Memory did not hold the state before these exchanges: read the users whole.
                    pendingUsers.withLock { pending in refetch.forEach { pending.add($0) } }
                    wakeRefetch.yield()
                }
                waiting = waiting.filter { !named.contains($0) }
            } catch {
                noteFailure(error, "storing credentials")
                let failure = CredentialStoreError("cannot store the credential: \(PostgresStoreError.reason(error))")
                for index in waiting { results[index] = .failure(failure) }
                break
            }
        }
        return results.map { $0 ?? .failure(CredentialStoreError("cannot store the credential")) }
    }

    /// One transaction for `requests` with the candidate names of `attempts` (-1: the derived
    /// name; n ≥ 0: `CredentialRules.disambiguated` attempt n), tried again when PostgreSQL aborts it to break a
    /// deadlock (SQLSTATE 40P01) or a serialization failure (40001). Returns the outcomes by
    /// position in `requests`; a request missing from them got none of its candidate names.
    private func writeOnce(_ requests: [IssueRequest], attempts: Range<Int>) async throws -> [Int: IssueOutcome] {
        var candidates: [String] = []
        candidates.reserveCapacity(requests.count * attempts.count)
        for request in requests {
            for attempt in attempts {
                candidates.append(attempt < 0 ? request.username
                    : CredentialRules.disambiguated(request.username, provider: request.provider, subject: request.subject, attempt: attempt))
            }
        }
        let providers = requests.map(\.provider)
        let subjects = requests.map(\.subject)
        let hashes = requests.map { ByteBuffer(bytes: $0.hash) }
        let expiries = requests.map(\.expires)
        let nows = requests.map { UnixTime.seconds($0.now) }
        let maxes = requests.map { Int32(clamping: $0.maxPerUser) }
        let attributes = requests.map(\.attributes.storedText)
        let tokenIDs = requests.map(\.tokenID)
        let apiKeys = requests.map(\.origin.apiKey)
        let sessions = requests.map { UnixTime.seconds($0.origin.sessionStartedAt) }
        let replacing = requests.map { $0.origin.replacing ?? "" }
        let per = Int32(attempts.count)
        var tries = 0
        while true {
            do {
                return try await client.withTransaction(logger: logger) { connection in
                    let rows = try await connection.query("""
                        SELECT o_index, o_username, o_new, o_revision, o_id, o_dropped, o_refused
                        FROM mqtt_authd.issue_credentials(\(providers), \(subjects), \(candidates), \(per), \(hashes), \(expiries),
                            \(nows), \(maxes), \(attributes), \(tokenIDs), \(apiKeys), \(sessions), \(replacing))
                        """, logger: logger)
                    var outcomes: [Int: IssueOutcome] = [:]
                    for try await (index, username, isNew, revision, id, dropped, refused)
                        in rows.decode((Int32, String, Bool, Int64, Int64?, [Int64], String?).self) {
                        let position = Int(index) - 1
                        let request = requests[position]
                        let entry = CredentialIndex.Entry(id: id ?? -1, hash: request.hash, expiresAt: UnixTime.date(request.expires),
                                                          tokenID: request.tokenID)
                        outcomes[position] = IssueOutcome(username: username, isNew: isNew, revision: revision, credential: entry,
                                                          dropped: dropped, refused: refused.map(Self.refusal))
                    }
                    return outcomes
                }
            } catch let error as PSQLError where tries < Self.deadlockRetries && ["40P01", "40001"].contains(error.serverInfo?[.sqlState] ?? "") {
                tries += 1
                logger.debug("a batch of credentials was aborted by the database and is tried again", metadata: ["error": "\(PostgresStoreError.reason(error))"])
            }
        }
    }
}

extension PostgresCredentialStore {
    /// `o_refused` of `issue_credentials`: `blocked:<unix seconds>` or `replaced`.
    static func refusal(_ text: String) -> IssueRefusal {
        if text.hasPrefix("blocked:"), let until = Int64(text.dropFirst("blocked:".count)) {
            return .blocked(until: UnixTime.date(until))
        }
        return .replacedCredentialGone
    }

    /// The identity's bound username, binding `username` or its first free disambiguated form
    /// when it has none (the same candidates, in the same order, as `issue_credentials`), with
    /// no credential: what a token used as the MQTT password is checked against. Each
    /// statement stands alone: a name another daemon bound meanwhile is skipped by the UNIQUE
    /// constraint, and an identity bound meanwhile is read back. Within `writeTimeout`.
    ///
    /// When `attributes` differ from the stored ones they replace them in one statement that
    /// also bumps the identity's revision and announces the user, so every daemon's memory
    /// (this one's included) reads the user again.
    package func bindIdentity(provider: String, subject: String, username: String, attributes: UserAttributes, now: Date) async throws -> String {
        try CredentialRules.validateUsername(username)
        let created = UnixTime.seconds(now)
        let text = attributes.storedText
        do {
            let bound = try await withDeadline(writeTimeout, "binding a username") { [self] () async throws -> String in
                let bound = try await bind(provider: provider, subject: subject, username: username, created: created)
                let blocks = try await client.query(
                    "SELECT until FROM mqtt_authd.user_blocks WHERE username = \(bound) AND until > \(created)", logger: logger)
                for try await until in blocks.decode(Int64.self) { throw IssueRefusal.blocked(until: UnixTime.date(until)) }
                let changed = try await client.query("""
                    WITH changed AS (
                        UPDATE mqtt_authd.identities SET attributes = \(text), revision = revision + 1
                        WHERE username = \(bound) AND attributes <> \(text) RETURNING revision)
                    SELECT pg_notify(\(PostgresSchema.channel), 'u' || revision || ':' || \(bound)) FROM changed
                    """, logger: logger)
                for try await _ in changed.decode(String.self) {}
                return bound
            }
            markReachable()
            if index.withLock({ $0.credentials.attributes(for: bound) }) != attributes {
                // The notice brings it too; this is for the daemon's next request.
                index.withLock { $0.setAttributes(attributes, for: bound) }
            }
            return bound
        } catch let refusal as IssueRefusal {
            markReachable()
            throw refusal
        } catch {
            if (error as? PostgresStoreError)?.description != PostgresStoreError.noFreeUsername.description {
                noteFailure(error, "binding a username")
            }
            throw CredentialStoreError("cannot bind the username: \(PostgresStoreError.reason(error))")
        }
    }

    private func bind(provider: String, subject: String, username: String, created: Int64) async throws -> String {
        if let known = try await boundName(provider: provider, subject: subject) { return known }
        for attempt in -1..<Self.maxNameAttempts {
            let candidate = attempt < 0 ? username
                : CredentialRules.disambiguated(username, provider: provider, subject: subject, attempt: attempt)
            let rows = try await client.query("""
                INSERT INTO mqtt_authd.identities (provider, subject, username, revision, created_at)
                VALUES (\(provider), \(subject), \(candidate), 0, \(created)) ON CONFLICT DO NOTHING RETURNING username
                """, logger: logger)
            for try await inserted in rows.decode(String.self) { return inserted }
            if let known = try await boundName(provider: provider, subject: subject) { return known }
        }
        throw PostgresStoreError.noFreeUsername
    }

    private func boundName(provider: String, subject: String) async throws -> String? {
        let rows = try await client.query(
            "SELECT username FROM mqtt_authd.identities WHERE provider = \(provider) AND subject = \(subject)", logger: logger)
        for try await name in rows.decode(String.self) { return name }
        return nil
    }
}
