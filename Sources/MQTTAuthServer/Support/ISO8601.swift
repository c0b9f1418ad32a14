import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// ISO 8601 UTC timestamps to the second, as the API answers them (`2026-11-29T21:00:00Z`).
/// Written with `gmtime_r` rather than a date formatter: `/mqtt/auth` writes one into every
/// answer, straight into the response buffer.
enum ISO8601 {
    static func string(_ date: Date) -> String {
        var buffer = ByteBuffer()
        write(date, to: &buffer)
        return String(buffer: buffer)
    }

    static func write(_ date: Date, to buffer: inout ByteBuffer) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let year = Int(parts.tm_year) + 1900
        guard (1000...9999).contains(year) else {
            // Outside four digits (never for a credential's expiry): the plain way.
            func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
            buffer.writeString("\(year)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z")
            return
        }
        // YYYY-MM-DDThh:mm:ssZ, 20 bytes written in one go.
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 20) { out in
            func put(_ value: Int, digits: Int, at offset: Int) {
                var value = value
                for position in stride(from: offset + digits - 1, through: offset, by: -1) {
                    out[position] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            put(year, digits: 4, at: 0)
            out[4] = UInt8(ascii: "-")
            put(Int(parts.tm_mon) + 1, digits: 2, at: 5)
            out[7] = UInt8(ascii: "-")
            put(Int(parts.tm_mday), digits: 2, at: 8)
            out[10] = UInt8(ascii: "T")
            put(Int(parts.tm_hour), digits: 2, at: 11)
            out[13] = UInt8(ascii: ":")
            put(Int(parts.tm_min), digits: 2, at: 14)
            out[16] = UInt8(ascii: ":")
            put(Int(parts.tm_sec), digits: 2, at: 17)
            out[19] = UInt8(ascii: "Z")
            return 20
        }
    }
}
