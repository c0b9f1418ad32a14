import CoreMetrics
import Hummingbird
import Metrics
import Prometheus
import Synchronization

/// The daemon's metrics, created on an injected factory so that tests and the daemon each
/// have their own registry. Labels are fixed and few: an endpoint name from a closed set and a
/// status code; never a username, client id or topic.
package struct ServerMetrics: Sendable {
    package let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    package let activeCredentials: CoreMetrics.Gauge
    /// Metrics made once and reused: looking one up in the registry costs more than counting.
    private let made: MadeMetrics

    package init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.factory = PrometheusMetricsFactory(registry: registry)
        self.activeCredentials = CoreMetrics.Gauge(label: "mqtt_authd_active_credentials", dimensions: [], factory: factory)
        self.made = MadeMetrics()
    }

    /// Counts a finished request and records its latency.
    func record(endpoint: Endpoint, status: Int, duration: Duration) {
        let (counter, timer) = made.metrics(endpoint: endpoint, status: status) {
            (
                CoreMetrics.Counter(
                    label: "mqtt_authd_http_requests_total",
                    dimensions: [("endpoint", endpoint.label), ("status", String(status))],
                    factory: factory
                ),
                CoreMetrics.Timer(
                    label: "mqtt_authd_http_request_duration_seconds",
                    dimensions: [("endpoint", endpoint.label)],
                    factory: factory
                )
            )
        }
        counter.increment()
        timer.recordNanoseconds(duration.nanoseconds)
    }

    /// Counts one admin action (README "Refresh and revocation"): `mqtt_authd_admin_actions_total`.
    func record(adminAction action: AdminAction) {
        CoreMetrics.Counter(label: "mqtt_authd_admin_actions_total", dimensions: [("action", action.rawValue)], factory: factory)
            .increment()
    }

    /// The closed set of audited actions.
    package enum AdminAction: String, Sendable, CaseIterable {
        case revokeToken = "revoke_token"
        case terminateUser = "terminate_user"
        case createKey = "create_key"
        case revokeKey = "revoke_key"
        case checkACL = "acl_check"
        case listCredentials = "list_credentials"
        case listKeys = "list_keys"
        case readStats = "stats"
    }

    /// The closed set of endpoint labels: the broker endpoints' come from their table's rows
    /// (`BrokerEndpoint.table`).
    enum Endpoint: Hashable {
        case exchange, refresh, revoke, terminate, admin, revocations
        case policy, healthz, metrics, other
        case broker(BrokerEndpoint.ID)

        init(path: String) {
            if path.hasPrefix("/v2/admin/") {
                self = .admin
                return
            }
            if path.hasSuffix("/terminate"), path.hasPrefix("/v2/users/") || path.hasPrefix("/v2/utilities/users/") {
                self = .terminate
                return
            }
            switch path {
            case "/v2/tokens/exchange": self = .exchange
            case "/v2/tokens/refresh": self = .refresh
            case "/v2/revocations": self = .revocations
            case _ where path.hasPrefix("/v2/tokens/"): self = .revoke
            case "/v2/policy": self = .policy
            case "/healthz": self = .healthz
            case "/metrics": self = .metrics
            default: self = BrokerEndpoint.find(uri: path).map { .broker($0.id) } ?? .other
            }
        }

        var label: String {
            switch self {
            case .exchange: "exchange"
            case .refresh: "refresh"
            case .revoke: "revoke"
            case .terminate: "terminate"
            case .admin: "admin"
            case .revocations: "revocations"
            case .policy: "policy"
            case .healthz: "healthz"
            case .metrics: "metrics"
            case .other: "other"
            case .broker(let id): BrokerEndpoint.of(id).metricsLabel
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

/// The counters and timers already made, by endpoint and status: a small, closed set.
private final class MadeMetrics: Sendable {
    private struct Key: Hashable {
        let endpoint: ServerMetrics.Endpoint
        let status: Int
    }

    private let made = Mutex<[Key: (CoreMetrics.Counter, CoreMetrics.Timer)]>([:])

    func metrics(
        endpoint: ServerMetrics.Endpoint,
        status: Int,
        make: () -> (CoreMetrics.Counter, CoreMetrics.Timer)
    ) -> (CoreMetrics.Counter, CoreMetrics.Timer) {
        let key = Key(endpoint: endpoint, status: status)
        if let found = made.withLock({ $0[key] }) { return found }
        let metrics = make()
        made.withLock { $0[key] = metrics }
        return metrics
    }
}
