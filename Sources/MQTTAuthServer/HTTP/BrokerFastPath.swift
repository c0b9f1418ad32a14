import Foundation
import HTTPTypes
import Logging
import HummingbirdCore
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// Answers the broker endpoints on the connection's event loop, straight from NIOHTTP1's
/// parser, before requests reach Hummingbird: a broker asks once per connect and, over HTTP,
/// once per message, so these are the daemon's hottest requests, and their answers are
/// synchronous and never touch the disk. Every other request passes through to Hummingbird
/// untouched.
///
/// Responses stay in request order: while a request that went to Hummingbird has not been
/// answered, later requests on the connection (broker ones included) go to Hummingbird too,
/// which serves the same endpoints. The handler also closes connections idle for the
/// `IdleStateHandler`'s timeout (as Hummingbird would, had it seen these requests).
final class BrokerFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        /// Collecting the body of a broker request answered here.
        case collecting(BrokerEndpoints.Endpoint, HTTPRequestHead, ByteBuffer, tooLarge: Bool, started: ContinuousClock.Instant)
        /// Passing the current request's parts on to Hummingbird.
        case forwarding
    }

    private let endpoints: BrokerEndpoints
    private let metrics: ServerMetrics
    private var state = State.idle
    /// Requests passed to Hummingbird whose response has not ended yet.
    private var forwardedInFlight = 0

    init(endpoints: BrokerEndpoints, metrics: ServerMetrics) {
        self.endpoints = endpoints
        self.metrics = metrics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .idle):
            if forwardedInFlight == 0, [.POST, .GET, .PUT].contains(head.method),
               let endpoint = BrokerEndpoints.Endpoint(path: Self.path(of: head.uri)) {
                state = .collecting(endpoint, head, context.channel.allocator.buffer(capacity: 256), tooLarge: false, started: .now)
            } else {
                forwardedInFlight += 1
                state = .forwarding
                context.fireChannelRead(data)
            }
        case (.body(var chunk), .collecting(let endpoint, let head, var body, let tooLarge, let started)):
            let over = tooLarge || body.readableBytes + chunk.readableBytes > BrokerEndpoints.bodyLimit
            if !over { body.writeBuffer(&chunk) }
            state = .collecting(endpoint, head, over ? ByteBuffer() : body, tooLarge: over, started: started)
        case (.end, .collecting(let endpoint, let head, let body, let tooLarge, let started)):
            state = .idle
            let answer = tooLarge
                ? endpoints.tooLarge()
                : endpoints.answer(endpoint, body: body, contentType: head.headers.first(name: "content-type"), query: Self.query(of: head.uri))
            respond(context: context, to: head, answer)
            metrics.record(endpoint: endpoint.metricsLabel, status: answer.status.code, duration: ContinuousClock.now - started)
        case (.end, .forwarding):
            state = .idle
            context.fireChannelRead(data)
        case (_, .forwarding):
            context.fireChannelRead(data)
        default:
            // A part out of order: let Hummingbird's handlers report it.
            context.fireChannelRead(data)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            forwardedInFlight = max(0, forwardedInFlight - 1)
        }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            if case .idle = state, forwardedInFlight == 0 { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func respond(context: ChannelHandlerContext, to request: HTTPRequestHead, _ answer: BrokerEndpoints.Answer) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: answer.contentType)
        headers.add(name: "Content-Length", value: String(answer.body.readableBytes))
        let keepAlive = request.isKeepAlive
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if request.version.major == 1, request.version.minor == 0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        let status = HTTPResponseStatus(statusCode: answer.status.code)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(answer.body))), promise: nil)
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
        }
    }

    // The URI is split on its UTF-8 bytes: `?` is ASCII, and finding it by Character would
    // cost grapheme breaking on every request.
    private static func path(of uri: String) -> Substring {
        let utf8 = uri.utf8
        return Substring(utf8[..<(utf8.firstIndex(of: UInt8(ascii: "?")) ?? utf8.endIndex)])
    }

    private static func query(of uri: String) -> String? {
        let utf8 = uri.utf8
        guard let mark = utf8.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        return String(Substring(utf8[utf8.index(after: mark)...]))
    }
}

/// Hummingbird's HTTP/1 channel with `BrokerFastPath` (and an idle timer) spliced in right
/// after NIOHTTP1's parser, before Hummingbird's HTTPTypes codec.
struct BrokerFastChannel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let base: HTTP1Channel
    let endpoints: BrokerEndpoints
    let metrics: ServerMetrics
    let idleTimeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let endpoints = endpoints
        let metrics = metrics
        let idleTimeout = idleTimeout
        return base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let codec = try pipeline.handler(type: HTTP1ToHTTPServerCodec.self)
            try pipeline.addHandler(IdleStateHandler(allTimeout: idleTimeout), position: .before(codec))
            try pipeline.addHandler(BrokerFastPath(endpoints: endpoints, metrics: metrics), position: .before(codec))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
