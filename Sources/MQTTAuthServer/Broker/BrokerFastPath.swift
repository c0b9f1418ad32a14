import Foundation
import HTTPTypes
import Logging
import HummingbirdCore
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1
import Synchronization

/// Answers the broker endpoints on the connection's event loop, straight from NIOHTTP1's
/// parser, before requests reach Hummingbird: a broker asks once per connect and, over HTTP,
/// once per message, so these are the daemon's hottest requests, and their answers are
/// synchronous and never touch the disk. Every other request passes through to Hummingbird
/// untouched.
///
/// Responses stay in request order: while a request that went to Hummingbird has not been
/// answered, later requests on the connection (broker ones included) go to Hummingbird too,
/// which serves the same endpoints. The handler also closes connections that have sent nothing
/// for the `IdleStateHandler`'s timeout and wait for no answer (as Hummingbird would, had it
/// seen these requests).
final class BrokerFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        /// Collecting the body of a broker request answered here, into `pending`.
        case collecting
        /// Passing the current request's parts on to Hummingbird.
        case forwarding
        /// Waiting for a look-up (`BrokerDecisions.LookUp`); later parts wait in `queued`.
        case awaiting
    }

    /// The broker request being collected. Kept outside `State` so that appending a body chunk
    /// mutates the buffer in place instead of copying it out of an enum payload.
    private struct Pending {
        let endpoint: BrokerEndpoint
        let head: HTTPRequestHead
        var body: ByteBuffer
        var tooLarge = false
        let started: ContinuousClock.Instant
    }

    private let endpoints: BrokerEndpoints
    private let metrics: ServerMetrics
    private var state = State.idle
    private var pending: Pending?
    /// Requests passed to Hummingbird whose response has not ended yet.
    private var forwardedInFlight = 0
    /// Parts that arrived while `awaiting`, handled in order once the answer is written.
    private var queued: [NIOAny] = []

    init(endpoints: BrokerEndpoints, metrics: ServerMetrics) {
        self.endpoints = endpoints
        self.metrics = metrics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .awaiting = state {
            queued.append(data)
        } else {
            process(context: context, data)
        }
    }

    /// Handles one part; `data` is passed on as it came, so forwarding costs no re-wrapping.
    private func process(context: ChannelHandlerContext, _ data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .idle):
            if forwardedInFlight == 0, let endpoint = BrokerEndpoint.find(uri: head.uri), let method = Self.method(head.method),
               endpoint.accepts(method) {
                pending = Pending(endpoint: endpoint, head: head, body: context.channel.allocator.buffer(capacity: 256), started: .now)
                state = .collecting
            } else {
                forwardedInFlight += 1
                state = .forwarding
                context.fireChannelRead(data)
            }
        case (.body(var chunk), .collecting):
            if pending!.tooLarge || pending!.body.readableBytes + chunk.readableBytes > pending!.endpoint.bodyLimit {
                pending!.tooLarge = true
                pending!.body = ByteBuffer()
            } else {
                pending!.body.writeBuffer(&chunk)
            }
        case (.end, .collecting):
            let request = pending.take()!
            state = .idle
            let reply = request.tooLarge
                ? .ready(endpoints.tooLarge(request.endpoint))
                : endpoints.reply(
                    request.endpoint,
                    .init(body: request.body, contentType: request.head.headers.first(name: "content-type"), query: Self.query(of: request.head.uri)),
                    peer: .init(address: context.channel.remoteAddress, authorization: request.head.headers.first(name: "authorization"))
                )
            switch reply {
            case .ready(let answer):
                finish(context: context, request, answer)
            case .later(let resolve):
                state = .awaiting
                context.eventLoop.makeFutureWithTask { await resolve() }.assumeIsolated().whenSuccess { answer in
                    self.finish(context: context, request, answer)
                    self.state = .idle
                    self.drainQueued(context: context)
                }
            }
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

    private func finish(context: ChannelHandlerContext, _ request: Pending, _ answer: BrokerEndpoints.Answer) {
        respond(context: context, to: request.head, answer)
        metrics.record(endpoint: .broker(request.endpoint.id), status: answer.status.code, duration: ContinuousClock.now - request.started)
    }

    /// Handles the parts that arrived during a look-up, until one starts another look-up.
    private func drainQueued(context: ChannelHandlerContext) {
        while !queued.isEmpty {
            if case .awaiting = state { return }
            process(context: context, queued.removeFirst())
        }
    }

    /// The methods broker endpoints take, as the table names them.
    private static func method(_ method: HTTPMethod) -> HTTPRequest.Method? {
        switch method {
        case .POST: .post
        case .GET: .get
        case .PUT: .put
        default: nil
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
            if case .idle = state, forwardedInFlight == 0, queued.isEmpty { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func respond(context: ChannelHandlerContext, to request: HTTPRequestHead, _ answer: BrokerEndpoints.Answer) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: answer.contentType)
        headers.add(name: "Content-Length", value: String(answer.body.readableBytes))
        if let cacheControl = answer.cacheControl { headers.add(name: "Cache-Control", value: cacheControl) }
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
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    // The URI is split on its UTF-8 bytes: `?` is ASCII, and finding it by Character would
    // cost grapheme breaking on every request.
    private static func query(of uri: String) -> String? {
        let utf8 = uri.utf8
        guard let mark = utf8.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        return String(Substring(utf8[utf8.index(after: mark)...]))
    }
}

/// Hummingbird's HTTP/1 channel with `BrokerFastPath` (and an idle timer) spliced in right
/// after NIOHTTP1's parser, before Hummingbird's HTTPTypes codec.
///
/// Hummingbird's public hook for handlers (`HTTP1Channel.Configuration.additionalChannelHandlers`)
/// puts them after that codec, where every request has already been converted to HTTPTypes,
/// and answering before the conversion was measured faster (BENCHMARKS.md, "fast path before
/// the HTTPTypes codec"). So the position is found by the codec's type,
/// `HTTP1ToHTTPServerCodec`: public, from swift-nio-extras, not one of Hummingbird's own. If
/// a Hummingbird update stops using it, connections still work: the fast path is left out,
/// the router serves the same endpoints, and an error is logged once.
/// `BrokerFastPathTests.theFastPathIsInstalled` fails when that happens.
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
            guard let codec = try? pipeline.handler(type: HTTP1ToHTTPServerCodec.self) else {
                Self.reportMissingCodec(logger)
                return value
            }
            // A read timeout, not an all-timeout: with one for writes too, the timer handler
            // would wrap every response write in a promise of its own.
            try pipeline.addHandler(IdleStateHandler(readTimeout: idleTimeout), position: .before(codec))
            try pipeline.addHandler(BrokerFastPath(endpoints: endpoints, metrics: metrics), position: .before(codec))
            return value
        }
    }

    private static let codecReported = Atomic(false)

    private static func reportMissingCodec(_ logger: Logger) {
        guard !codecReported.exchange(true, ordering: .relaxed) else { return }
        logger.error("HTTP/1 pipeline has no HTTP1ToHTTPServerCodec: broker endpoints are served by the router, without the fast path")
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
