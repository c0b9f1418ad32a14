import Foundation
@testable import MQTTAuthServer
import NIOCore
import Testing

/// The timestamps in `expires_at`, written by hand on the hot path.
@Suite("ISO 8601 timestamps")
struct ISO8601Tests {
    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00Z"),
        (1_900_000_000.9, "2030-03-17T17:46:40Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
        (1_798_761_599, "2026-12-31T23:59:59Z"),
        (253_402_300_799, "9999-12-31T23:59:59Z"),
        (253_402_300_800, "10000-01-01T00:00:00Z"),
        (-30_610_224_000, "1000-01-01T00:00:00Z"),
        (-30_610_224_001, "999-12-31T23:59:59Z"),
    ])
    func formats(seconds: Double, expected: String) {
        #expect(ISO8601.string(Date(timeIntervalSince1970: seconds)) == expected)
    }

    /// From 1600 on: before the Gregorian reform Foundation's formatter switches to the Julian
    /// calendar, while ISO 8601 (and `gmtime_r`) stay Gregorian.
    @Test func agreesWithFoundationsFormatter() {
        let formatter = ISO8601DateFormatter()
        var random = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let date = Date(timeIntervalSince1970: Double(Int64.random(in: -11_676_096_000...250_000_000_000, using: &random)))
            #expect(ISO8601.string(date) == formatter.string(from: date))
        }
    }

    @Test func appendsToWhatIsInTheBuffer() {
        var buffer = ByteBuffer(string: "at ")
        ISO8601.write(Date(timeIntervalSince1970: 0), to: &buffer)
        buffer.writeString(".")
        #expect(String(buffer: buffer) == "at 1970-01-01T00:00:00Z.")
    }
}
