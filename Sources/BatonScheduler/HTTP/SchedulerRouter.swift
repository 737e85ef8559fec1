import BatonAPI
import BatonObservability
import BatonPostgres
import Hummingbird
import Logging
import OpenAPIHummingbird
import Prometheus

/// Every route the scheduler's API port serves: the API of docs/openapi.yaml under `/v1`
/// (registered by the generated code), `/healthz`, `/readyz` and the page. Built here
/// alone, so that tests serve the same routes in-process as the daemon does. `/metrics`
/// has a port of its own (`metrics_port`).
enum SchedulerRouter {
    static func make(
        engine: WorkflowEngine, pool: PostgresPool, database: DependencyHealth, broker: DependencyHealth,
        maxRequestBytes: Int, apiKeys: [ConfiguredAPIKey],
        oidc: OIDCConfiguration? = nil, allowedHosts: Set<String>? = nil, corsOrigins: Set<String> = [],
        text: TextFanout? = nil, retention: RetentionPolicy = RetentionPolicy(),
        limits: WorkflowLimits = WorkflowLimits(),
        logger: Logger
    ) throws -> Router<BasicRequestContext> {
        let keys = APIKeyStore(configured: apiKeys, pool: pool)
        let router = Router()
        let routes = RouteTable()
        // Requests by route template, method and status, with their durations
        // (`hb_requests`, `http_server_request_duration`, as swift-prometheus names them).
        // A server span per request (continuing a caller's `traceparent`); a submission's
        // first attempt continues it, through the outbox and the broker to the worker.
        router.add(middleware: RequestTracingMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: BrowserSafetyMiddleware(allowedHosts: allowedHosts))
        if !corsOrigins.isEmpty { router.add(middleware: CORSPolicyMiddleware(origins: corsOrigins)) }
        router.add(middleware: ErrorMiddleware(database: database, routes: routes))
        router.add(
            middleware: JSONBodyMiddleware(maxRequestBytes: maxRequestBytes, maxArtifactBytes: limits.maxArtifactBytes))
        MetricsRoutes.add(to: router, registry: nil)  // `/healthz` only
        router.get("readyz") { _, _ -> Response in
            let problems = [database, broker].filter { !$0.isHealthy }.map { "\($0.name) is unreachable" }
            guard problems.isEmpty else {
                throw APIErrorResponse(
                    .serviceUnavailable, code: "unavailable", message: problems.joined(separator: "; "),
                    headers: [.retryAfter: "2"])
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "ready")))
        }
        WebPage.addRoutes(to: router)
        for path in ["/", "/healthz", "/readyz"] { routes.add(.get, path) }
        try WorkflowController(
            engine: engine, pool: pool, keys: keys, text: text, retention: retention, limits: limits, logger: logger
        )
        .registerHandlers(
            on: RecordingTransport(router: router, table: routes), configuration: APIConfiguration.runtime,
            middlewares: [
                AuthenticationMiddleware(keys: keys, pool: pool, oidc: oidc.map(OIDCVerifier.init)),
                EmptyBodyMiddleware(),
                ResumePointMiddleware(),
            ])
        return router
    }
}
