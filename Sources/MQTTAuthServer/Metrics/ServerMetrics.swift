import CoreMetrics
import Hummingbird
import Metrics
import Prometheus

/// The daemon's metrics, created on an injected factory so that tests and the daemon each
/// have their own registry. Labels are fixed and few: an endpoint name from a closed set and a
/// status code; never a username, client id or topic.
package struct ServerMetrics: Sendable {
    package let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    package let activeCredentials: CoreMetrics.Gauge

    package init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.factory = PrometheusMetricsFactory(registry: registry)
        self.activeCredentials = CoreMetrics.Gauge(label: "mqtt_authd_active_credentials", dimensions: [], factory: factory)
    }

    /// Counts a finished request and records its latency.
    func record(endpoint: Endpoint, status: Int, duration: Duration) {
        CoreMetrics.Counter(
            label: "mqtt_authd_http_requests_total",
            dimensions: [("endpoint", endpoint.rawValue), ("status", String(status))],
            factory: factory
        ).increment()
        CoreMetrics.Timer(
            label: "mqtt_authd_http_request_duration_seconds",
            dimensions: [("endpoint", endpoint.rawValue)],
            factory: factory
        ).recordNanoseconds(duration.nanoseconds)
    }

    /// The closed set of endpoint labels.
    enum Endpoint: String {
        case exchange, auth, superuser, acl, healthz, metrics, other

        init(path: String) {
            switch path {
            case "/v2/tokens/exchange": self = .exchange
            case "/mqtt/auth": self = .auth
            case "/mqtt/superuser": self = .superuser
            case "/mqtt/acl": self = .acl
            case "/healthz": self = .healthz
            case "/metrics": self = .metrics
            default: self = .other
            }
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// Records every request's endpoint, status and latency, including errors thrown by handlers.
struct MetricsRecorder<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let endpoint = ServerMetrics.Endpoint(path: request.uri.path)
        do {
            let response = try await next(request, context)
            metrics.record(endpoint: endpoint, status: response.status.code, duration: ContinuousClock.now - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.record(endpoint: endpoint, status: status, duration: ContinuousClock.now - start)
            throw error
        }
    }
}
