import Foundation
import MQTTAuthPluginCore
import Testing

@Suite("Session expiry schedule")
struct SessionExpiryTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func dueInOrderAndOnlyOnce() {
        var expiry = SessionExpiry()
        expiry.track(clientID: "b", owner: 2, expiresAt: start.addingTimeInterval(20))
        expiry.track(clientID: "a", owner: 1, expiresAt: start.addingTimeInterval(10))
        #expect(expiry.due(now: start.addingTimeInterval(9)).isEmpty)
        #expect(expiry.due(now: start.addingTimeInterval(10)) == ["a"])
        #expect(expiry.due(now: start.addingTimeInterval(30)) == ["b"])
        #expect(expiry.due(now: start.addingTimeInterval(40)).isEmpty)
        #expect(expiry.count == 0)
    }

    @Test func aReconnectReplacesTheOldExpiry() {
        var expiry = SessionExpiry()
        expiry.track(clientID: "c", owner: 1, expiresAt: start.addingTimeInterval(10))
        expiry.track(clientID: "c", owner: 2, expiresAt: start.addingTimeInterval(100))
        // The old connection goes away after the new one took over its client id.
        expiry.forget(clientID: "c", owner: 1)
        #expect(expiry.due(now: start.addingTimeInterval(50)).isEmpty)
        #expect(expiry.due(now: start.addingTimeInterval(100)) == ["c"])
    }

    @Test func aDisconnectedClientIsNotKicked() {
        var expiry = SessionExpiry()
        expiry.track(clientID: "d", owner: 7, expiresAt: start.addingTimeInterval(10))
        expiry.forget(clientID: "d", owner: 7)
        #expect(expiry.due(now: start.addingTimeInterval(11)).isEmpty)
    }

    @Test func staleEntriesDoNotAccumulate() {
        var expiry = SessionExpiry()
        for round in 0..<10_000 {
            expiry.track(clientID: "client-\(round % 10)", owner: UInt(round), expiresAt: start.addingTimeInterval(Double(1_000 + round)))
        }
        #expect(expiry.count == 10)
        #expect(expiry.due(now: start.addingTimeInterval(20_000)).sorted() == (0..<10).map { "client-\($0)" })
    }
}
