import Foundation

/// Times in the database are whole Unix seconds (SQLite INTEGER), UTC by definition, so that
/// `expires_at <= ?` compares numbers and a row reads the same on any machine.
package enum UnixTime {
    /// `date` rounded down to a whole second. An expiry is rounded down, never up, so a
    /// credential never outlives what was asked.
    package static func seconds(_ date: Date) -> Int64 {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        precondition(abs(seconds) < 1e15, "a credential time must be a real date")
        return Int64(seconds)
    }

    package static func date(_ seconds: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(seconds))
    }
}
