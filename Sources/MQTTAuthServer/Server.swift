import AsyncHTTPClient
import CoreMetrics
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import MQTTAuthCore
import MQTTAuthStore
import NIOCore
import NIOSSL
import Prometheus
import ServiceLifecycle

/// What the HTTP application is made of. Tests build it with their own store, clock and metrics.
package struct ServerParts: Sendable {
    package let runtime: RuntimeBox
    package let store: any CredentialStore
    package let metrics: ServerMetrics
    package let now: @Sendable () -> Date
    /// Tokens checked as MQTT passwords, remembered across requests and reloads.
    package let tokenLogin = TokenLogin()

    package init(runtime: RuntimeBox, store: any CredentialStore, metrics: ServerMetrics, now: @escaping @Sendable () -> Date = { Date() }) {
        self.runtime = runtime
        self.store = store
        self.metrics = metrics
        self.now = now
    }

    var brokerEndpoints: BrokerEndpoints {
        BrokerEndpoints(decisions: BrokerDecisions(runtime: runtime, store: store, tokenLogin: tokenLogin, now: now))
    }
}

package enum Server {
    /// The HTTP client that fetches JWKS documents. It follows no redirects: a redirect could
    /// move the fetch to a URL the configuration never allowed. It lives as long as the process.
    static let jwksClient = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: HTTPClient.Configuration(redirectConfiguration: .disallow)
    )

    /// The runtime for `configuration`, fetching each provider's JWKS (or OIDC discovery
    /// document) over HTTP when needed.
    package static func runtime(
        _ configuration: DaemonConfiguration,
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger? = nil,
        storedKeys: (any APIKeyStore)? = nil
    ) -> Runtime {
        Runtime(configuration: configuration, now: now, storedKeys: storedKeys) { provider in
            switch provider.keySource {
            case .jwks(let url): JWKSHTTPSource(url: url, client: jwksClient, logger: logger)
            case .discovery(let url): OIDCDiscoverySource(url: url, issuer: provider.issuer, client: jwksClient, logger: logger)
            case .file: nil
            }
        }
    }

    /// Every route: token exchange, refresh and revocation, the admin API, the broker endpoints,
    /// health and metrics; docs/openapi.yaml describes each.
    package static func router(_ parts: ServerParts) -> Router<AuthdRequestContext> {
        let router = Router(context: AuthdRequestContext.self)
        router.add(middleware: MetricsRecorder(metrics: parts.metrics))
        let flows = CredentialFlows(store: parts.store, now: parts.now)
        let exchange = ExchangeController<AuthdRequestContext>(runtime: parts.runtime, flows: flows)
        exchange.register(on: router)
        LifecycleController<AuthdRequestContext>(
            runtime: parts.runtime, flows: flows, perAPIKey: exchange.perAPIKey, audit: AdminAudit(metrics: parts.metrics)
        ).register(on: router)
        AdminController<AuthdRequestContext>(
            runtime: parts.runtime, store: parts.store, now: parts.now, audit: AdminAudit(metrics: parts.metrics)
        ).register(on: router)
        BrokerController(endpoints: parts.brokerEndpoints).register(on: router)
        PolicyController(runtime: parts.runtime).register(on: router)
        RevocationFeedController(runtime: parts.runtime, store: parts.store, now: parts.now).register(on: router)
        KeysController<AuthdRequestContext>(runtime: parts.runtime, store: parts.store, now: parts.now, audit: AdminAudit(metrics: parts.metrics))
            .register(on: router)
        // 200 while broker checks can be answered, which they are from memory even when a
        // shared database is down; the body says which, for an operator or a balancer.
        router.get("/healthz") { _, _ in
            let body = #"{"status":"ok","database":"\#(parts.store.health.rawValue)"}"# + "\n"
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/metrics") { _, _ in
            parts.metrics.activeCredentials.record(parts.store.activeCount(now: parts.now()))
            let text = parts.metrics.registry.emitToBuffer()
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: text))
            )
        }
        return router
    }

    /// Connections idle this long are closed, so that they cannot pile up.
    package static let idleTimeout = TimeAmount.seconds(30)

    /// The HTTP server for `configuration`: plain HTTP/1.1 or, with `tls`, HTTPS. The broker
    /// endpoints are answered on the event loop (`BrokerFastPath`), the rest by the router.
    /// Connections that send nothing for `idleTimeout` and wait for no answer are closed.
    package static func application(
        _ configuration: DaemonConfiguration,
        parts: ServerParts,
        services: [any Service],
        logger: Logger,
        idleTimeout: TimeAmount = Server.idleTimeout
    ) throws -> some ApplicationProtocol {
        let endpoints = parts.brokerEndpoints
        let metrics = parts.metrics
        let http = HTTPServerBuilder { responder in
            BrokerFastChannel(base: HTTP1Channel(responder: responder), endpoints: endpoints, metrics: metrics, idleTimeout: idleTimeout)
        }
        let server: HTTPServerBuilder
        if let tls = configuration.tls {
            let chain = try NIOSSLCertificate.fromPEMFile(tls.certificate).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: tls.privateKey, format: .pem)
            server = try .tls(http, tlsConfiguration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)))
        } else {
            server = http
        }
        return Application(
            router: router(parts),
            server: server,
            configuration: .init(address: .hostname(configuration.listen.host, port: configuration.listen.port), serverName: nil),
            services: services,
            logger: logger
        )
    }
}

extension Server {
    /// The daemon's background services: purging expired credentials, reloading on SIGHUP.
    package static func services(path: String, parts: ServerParts, logger: Logger) -> [any Service] {
        [
            PurgeService(store: parts.store, metrics: parts.metrics, interval: .seconds(60), logger: logger, now: parts.now),
            ReloadService(path: path, runtime: parts.runtime, logger: logger) {
                runtime($0, now: parts.now, logger: logger, storedKeys: parts.store)
            },
            APIKeyService(store: parts.store, logger: logger, now: parts.now),
        ]
    }
}
