import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// `GET /healthz` and `GET /metrics` (Prometheus text format), for any daemon's router.
public enum MetricsRoutes {
    public static func add(to router: Router<BasicRequestContext>, registry: PrometheusCollectorRegistry?) {
        router.get("healthz") { _, _ in "ok" }
        guard let registry else { return }
        router.get("metrics") { _, _ in
            ProcessMetrics.update(registry)
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }

    /// An HTTP server with only these routes, for daemons that have no other HTTP API.
    public static func server(
        host: String, port: Int, registry: PrometheusCollectorRegistry, logger: Logger
    ) -> some Service {
        let router = Router()
        add(to: router, registry: registry)
        return Application(router: router, configuration: .init(address: .hostname(host, port: port)), logger: logger)
    }
}
