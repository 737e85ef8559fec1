import BatonObservability
import BatonPostgres
import Hummingbird
import Prometheus

/// Every route the scheduler serves: the API under `/v1/workflows`, `/readyz`,
/// `/metrics` and the page. Built here alone, so that tests serve the same routes
/// in-process as the daemon does.
enum SchedulerRouter {
    static func make(
        engine: WorkflowEngine, pool: PostgresPool, database: DependencyHealth, broker: DependencyHealth,
        metrics: PrometheusCollectorRegistry?, maxRequestBytes: Int
    ) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: ErrorMiddleware(database: database))
        MetricsRoutes.add(to: router, registry: metrics)
        router.get("readyz") { _, _ -> Response in
            let problems = [database, broker].filter { !$0.isHealthy }.map { "\($0.name) is unreachable" }
            guard problems.isEmpty else {
                throw HTTPError(
                    .serviceUnavailable, headers: [.retryAfter: "2"], message: problems.joined(separator: "; "))
            }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready")))
        }
        WebPage.addRoutes(to: router)
        WorkflowController(engine: engine, pool: pool, maxRequestBytes: maxRequestBytes)
            .addRoutes(to: router.group("v1/workflows"))
        return router
    }
}
