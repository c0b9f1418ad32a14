import Foundation
import MQTTAuthCore
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// One entry of `broker.allow_from`: an IPv4 or IPv6 network in CIDR notation (`10.0.0.0/8`,
/// `fd00::/8`), or a single address (`127.0.0.1`, `::1`). An IPv4 client reached over an IPv6
/// socket (`::ffff:10.1.2.3`) matches the IPv4 ranges.
package struct AddressRange: Sendable, Equatable, CustomStringConvertible {
    /// The network's bytes (4 or 16), host bits cleared.
    let network: [UInt8]
    let prefixLength: Int
    package let description: String

    /// - Throws: `RangeError` saying what is wrong with `text`.
    package init(parsing text: String) throws(RangeError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bytes = Self.bytes(of: String(parts[0])) else {
            throw RangeError("'\(text.printable)' is not an IPv4 or IPv6 address or network (e.g. 10.0.0.0/8, fd00::/8, 127.0.0.1)")
        }
        var length = bytes.count * 8
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...bytes.count * 8).contains(parsed) else {
                throw RangeError("'\(text.printable)' has a prefix length outside 0...\(bytes.count * 8)")
            }
            length = parsed
        }
        network = Self.masked(bytes, length)
        prefixLength = length
        description = text
    }

    package func contains(_ address: SocketAddress) -> Bool {
        guard var bytes = Self.bytes(of: address) else { return false }
        if bytes.count == 16, network.count == 4, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
            bytes = Array(bytes[12...])
        }
        return bytes.count == network.count && Self.masked(bytes, prefixLength) == network
    }

    private static func masked(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bits = min(8, max(0, length - index * 8))
            return bits == 8 ? byte : byte & UInt8(truncatingIfNeeded: 0xff << (8 - bits))
        }
    }

    private static func bytes(of text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    private static func bytes(of address: SocketAddress) -> [UInt8]? {
        switch address {
        case .v4(let v4):
            var raw = v4.address.sin_addr
            return withUnsafeBytes(of: &raw) { Array($0) }
        case .v6(let v6):
            var raw = v6.address.sin6_addr
            return withUnsafeBytes(of: &raw) { Array($0) }
        case .unixDomainSocket:
            return nil
        }
    }
}

package struct RangeError: Error, CustomStringConvertible {
    package let description: String

    init(_ description: String) {
        self.description = description
    }
}
