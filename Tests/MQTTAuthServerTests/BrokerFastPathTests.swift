import Foundation
import HummingbirdCore
import HummingbirdTesting
import Logging
@testable import MQTTAuthServer
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOPosix
import Testing

/// `BrokerFastPath` on its own, in an `EmbeddedChannel`: when it closes an idle connection,
/// and bodies that arrive in pieces. (`IdleStateHandler` reads the real clock, so the embedded
/// loop's virtual time cannot drive it; the idle event is sent by hand here, and the timer
/// itself is checked on a real socket below.)
@Suite("Broker fast path: idle connections and split bodies")
struct BrokerFastPathTests {
    private let fixture: ServerFixture
    private let channel = EmbeddedChannel()

    init() throws {
        fixture = try ServerFixture()
        try channel.pipeline.syncOperations.addHandler(BrokerFastPath(endpoints: fixture.parts.brokerEndpoints, metrics: fixture.parts.metrics))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
    }

    private func head(_ uri: String, method: HTTPMethod = .POST) throws {
        try channel.writeInbound(HTTPServerRequestPart.head(HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: ["Content-Type": "application/json"])))
    }

    private func send(_ uri: String, method: HTTPMethod = .POST, body pieces: [String]) throws {
        try head(uri, method: method)
        for piece in pieces {
            try channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(string: piece)))
        }
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
    }

    /// The status and body of the answer written back, or nil if none was.
    private func answer() throws -> (UInt, String)? {
        guard case .head(let head) = try channel.readOutbound(as: HTTPServerResponsePart.self) else { return nil }
        guard case .body(.byteBuffer(let body)) = try channel.readOutbound(as: HTTPServerResponsePart.self) else { return nil }
        guard case .end = try channel.readOutbound(as: HTTPServerResponsePart.self) else { return nil }
        return (head.status.code, String(buffer: body))
    }

    private func idle() {
        channel.pipeline.fireUserInboundEventTriggered(IdleStateHandler.IdleStateEvent.read)
        channel.embeddedEventLoop.run()
    }

    @Test func anIdleConnectionIsClosed() throws {
        try send("/mqtt/acl", body: [#"{"username":"u","clientid":"c","topic":"users/u/x","acc":2}"#])
        #expect(try answer()?.0 == 200)
        idle()
        #expect(!channel.isActive)
    }

    @Test func aRequestHalfReceivedKeepsTheConnectionOpen() throws {
        try head("/mqtt/acl")
        try channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(string: #"{"username":"u","#)))
        idle()
        #expect(channel.isActive)
        try channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(string: #""clientid":"c","topic":"users/u/x","acc":2}"#)))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        #expect(try answer()?.0 == 200)
        idle()
        #expect(!channel.isActive)
    }

    @Test func aRequestWaitingForTheRouterKeepsTheConnectionOpen() throws {
        try send("/healthz", method: .GET, body: [])
        // Passed on, head and end, to the handlers after the fast path.
        #expect(try channel.readInbound(as: HTTPServerRequestPart.self) != nil)
        #expect(try channel.readInbound(as: HTTPServerRequestPart.self) != nil)
        idle()
        #expect(channel.isActive)
        // The router answers; from then on the connection counts as idle again.
        try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        idle()
        #expect(!channel.isActive)
    }

    @Test func aBodyInPiecesIsReadWhole() throws {
        try send("/mqtt/acl", body: [#"{"username":"u","cli"#, #"entid":"c","topic":"users/u"#, #"/x","acc":2}"#])
        #expect(try answer()?.0 == 200)
        try send("/mqtt/acl", body: [#"{"username":"u","cli"#, #"entid":"c","topic":"users/v"#, #"/x","acc":2}"#])
        #expect(try answer()?.0 == 403)
    }

    @Test func aBodyOverTheLimitInPiecesIs413AndTheNextRequestIsAnswered() throws {
        let piece = String(repeating: " ", count: 20_000)
        try send("/mqtt/acl", body: [#"{"username":"u","#, piece, piece, piece, piece, #""acc":2}"#])
        let refused = try #require(try answer())
        #expect(refused.0 == 413)
        #expect(refused.1.contains(#""ok":false"#))
        try send("/mqtt/superuser", body: [#"{"username":"ops"}"#])
        #expect(try answer()?.0 == 200)
    }
}

/// The idle timer on a real socket: the daemon's server, with a 1 s timeout instead of 30 s.
@Suite("Broker fast path: idle timer")
struct IdleTimerTests {
    /// Whether the server closes a connection (after `request`, if any) within `limit`.
    private func serverCloses(port: Int, after request: String?, within limit: TimeAmount) async throws -> Bool {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get()
        let gaveUp = NIOLockedValueBox(false)
        let timer = channel.eventLoop.scheduleTask(in: limit) {
            gaveUp.withLockedValue { $0 = true }
            channel.close(promise: nil)
        }
        // On a loaded machine the idle timer may close the connection before the request is
        // written: the server closed it either way, which is what is asked.
        if let request { try? await channel.writeAndFlush(ByteBuffer(string: request)) }
        try await channel.closeFuture.get()
        timer.cancel()
        return !gaveUp.withLockedValue { $0 }
    }

    @Test func silentAndFinishedConnectionsAreClosed() async throws {
        let fixture = try ServerFixture()
        try await fixture.server(idleTimeout: .seconds(1)).test(.live) { client in
            let port = try #require(client.port)
            #expect(try await serverCloses(port: port, after: nil, within: .seconds(20)))
            let body = #"{"username":"ops"}"#
            let request = "POST /mqtt/superuser HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            #expect(try await serverCloses(port: port, after: request, within: .seconds(20)))
        }
    }

    /// The control: with the daemon's 30 s, the same silent connection is still open after 3 s.
    @Test func theDefaultTimeoutIsLonger() async throws {
        let fixture = try ServerFixture()
        try await fixture.server.test(.live) { client in
            let port = try #require(client.port)
            #expect(try await !serverCloses(port: port, after: nil, within: .seconds(3)))
        }
    }
}

/// Where the fast path sits: found by the type of the HTTPTypes codec that Hummingbird's
/// HTTP/1 channel adds (docs/architecture.md §2.8). Without it the router would serve every
/// broker request, slower; this test is what notices.
@Suite("Broker fast path: position in Hummingbird's pipeline")
struct FastPathPositionTests {
    @Test func theFastPathIsInstalled() throws {
        let fixture = try ServerFixture()
        let channel = EmbeddedChannel()
        let base = HTTP1Channel(responder: { _, _, _ in })
        let fast = BrokerFastChannel(base: base, endpoints: fixture.parts.brokerEndpoints, metrics: fixture.parts.metrics, idleTimeout: .seconds(30))
        _ = try fast.setup(channel: channel, logger: Logger(label: "test")).wait()
        let handlers = try channel.pipeline.syncOperations.handler(type: BrokerFastPath.self)
        #expect(handlers is BrokerFastPath, "Hummingbird's HTTP/1 pipeline changed: BrokerFastChannel found no HTTP1ToHTTPServerCodec")
        _ = try? channel.finish()
    }
}
