import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension CredentialRules {
    /// Random bytes in a password: 256 bits.
    package static let passwordBytes = 32

    /// A new password: 32 bytes (256 bits) from the system CSPRNG (`SystemRandomNumberGenerator`:
    /// `getrandom` on Linux, `arc4random_buf` on Darwin), as URL-safe base64 without padding,
    /// so always 43 characters of `[A-Za-z0-9_-]`.
    package static func newPassword() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(passwordBytes)
        for _ in 0..<(passwordBytes / 8) {
            withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        return base64URL(bytes)
    }

    /// A new credential id (`token_id`, docs/architecture.md §4.9): `tok_` and 128 random bits
    /// from the same CSPRNG as passwords, as 22 characters of URL-safe base64. Opaque: it tells
    /// nothing of the user, the time or how many credentials exist, and it is no secret (the
    /// password is).
    package static func newTokenID() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        for _ in 0..<2 {
            withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        return tokenIDPrefix + base64URL(bytes)
    }

    static let tokenIDPrefix = "tok_"

    /// True if `text` has the shape of `newTokenID()`'s ids: what a request's `token_id` must
    /// have before any store is asked.
    package static func isTokenID(_ text: some StringProtocol) -> Bool {
        guard text.utf8.count == tokenIDPrefix.utf8.count + 22, text.hasPrefix(tokenIDPrefix) else { return false }
        return text.utf8.dropFirst(tokenIDPrefix.utf8.count).allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"): true
            default: false
            }
        }
    }

    /// SHA-256 of the secret's UTF-8: 32 bytes. A fast hash is right here because the secrets
    /// are 256-bit random values, which no dictionary or brute-force search can reach; a slow
    /// hash (bcrypt, scrypt) would only slow down `/mqtt/auth`.
    package static func hash(_ secret: String) -> [UInt8] {
        var secret = secret
        return secret.withUTF8 { bytes in
            SHA256.hash(data: UnsafeRawBufferPointer(bytes)).withUnsafeBytes { Array($0) }
        }
    }

    /// Whether `a` and `b` hold the same bytes, taking the same time wherever they differ: every
    /// byte pair is compared, with no early exit. Only a difference in length returns early, so
    /// lengths may leak; compare fixed-length values (hashes) with it.
    package static func constantTimeEqual(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) {
            difference |= x ^ y
        }
        return difference == 0
    }

    /// `constantTimeEqual` for byte arrays, which is what the hot paths compare (a password's
    /// hash on every `/mqtt/auth`). Not generic, so that other modules call compiled code: the
    /// generic version, called across modules, looked up type metadata for every byte pair and
    /// cost about 90,000 instructions per `/mqtt/auth`.
    package static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                var difference: UInt8 = 0
                for i in 0..<x.count {
                    difference |= x[i] ^ y[i]
                }
                return difference == 0
            }
        }
    }

    /// URL-safe base64 (RFC 4648 §5) without `=` padding.
    static func base64URL(_ bytes: [UInt8]) -> String {
        var text = String(Data(bytes).base64EncodedString().map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }
}
