import Foundation
import MQTTAuthCore
import Synchronization

extension SQLiteCredentialStore {
    /// The user's unexpired credential whose password hash matches, or nil.
    ///
    /// Reads the in-memory index only: no disk I/O. The password is hashed before the lookup,
    /// whether the user exists or not, and it is compared with every credential of the user in
    /// constant time, with no early exit: the time taken depends on how many credentials the
    /// user has, never on the bytes of the stored hashes. A credential with `expiresAt <= now`
    /// never matches, even before `purgeExpired` removes it.
    package func authenticate(username: String, password: String, now: Date) -> CredentialMatch? {
        let hash = CredentialRules.hash(password)
        let entries = index.withLock { $0.entries(for: username) }
        return CredentialIndex.match(hash, in: entries, now: now)
    }

    /// The index holds every credential of this file: one daemon owns it (see
    /// `SQLiteCredentialStore`), so memory always decides.
    package func check(username: String, password: String, now: Date) -> CredentialCheck {
        authenticate(username: username, password: password, now: now).map { .valid($0) } ?? .invalid
    }

    package func checkInStore(username: String, password: String, now: Date) async -> CredentialMatch? {
        authenticate(username: username, password: password, now: now)
    }

    /// A local file answers whenever the process runs.
    package var health: StoreHealth { .ok }
}
