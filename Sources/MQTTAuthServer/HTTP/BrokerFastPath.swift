import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers the broker endpoints on the connection's event loop, before requests reach
/// Hummingbird's router: a broker asks once per connect and, over HTTP, once per message, so
/// these are the daemon's hottest requests, and their answers are synchronous and never touch
/// the disk. Every other request passes through to Hummingbird untouched.
///
/// Responses stay in request order: while a request that went to Hummingbird has not been
/// answered, later requests on the connection (broker ones included) go to Hummingbird too,
/// which serves the same endpoints. The handler also closes connections idle for
/// `idleTimeout` (as Hummingbird would, had it seen these requests).
final class BrokerFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum State {
        case idle
        /// Collecting the body of a broker request answered here.
        case collecting(BrokerEndpoints.Endpoint, HTTPRequest, ByteBuffer, tooLarge: Bool, started: ContinuousClock.Instant)
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
            if forwardedInFlight == 0, [.post, .get, .put].contains(head.method),
               let endpoint = BrokerEndpoints.Endpoint(path: Self.path(of: head)) {
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
                : endpoints.answer(endpoint, body: body, contentType: head.headerFields[.contentType], query: Self.query(of: head))
            respond(context: context, answer, closing: head.headerFields[.connection]?.lowercased() == "close")
            metrics.record(endpoint: endpoint.metricsLabel, status: answer.status.code, duration: ContinuousClock.now - started)
        case (.end, .forwarding):
            state = .idle
            context.fireChannelRead(data)
        case (_, .forwarding):
            context.fireChannelRead(data)
        default:
            // A part out of order: let Hummingbird's handler report it.
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

    private func respond(context: ChannelHandlerContext, _ answer: BrokerEndpoints.Answer, closing: Bool) {
        var fields: HTTPFields = [.contentType: answer.contentType, .contentLength: String(answer.body.readableBytes)]
        if closing { fields[.connection] = "close" }
        context.write(wrapOutboundOut(.head(HTTPResponse(status: answer.status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(answer.body)), promise: nil)
        if closing {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    private static func path(of head: HTTPRequest) -> Substring {
        let target = head.path ?? ""
        return target[..<(target.firstIndex(of: "?") ?? target.endIndex)]
    }

    private static func query(of head: HTTPRequest) -> String? {
        guard let target = head.path, let mark = target.firstIndex(of: "?") else { return nil }
        return String(target[target.index(after: mark)...])
    }
}
