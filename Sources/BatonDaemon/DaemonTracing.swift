import BatonConfiguration
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// The daemons' tracer: swift-otel's, exporting OTLP over HTTP in batches, when
/// `tracing` names an endpoint (or the standard `OTEL_EXPORTER_OTLP_*ENDPOINT` does);
/// otherwise none is bootstrapped and every span is a no-op.
///
/// The libraries only use swift-distributed-tracing's API (BatonGraph, BatonLLM, the
/// worker and scheduler); the backend is chosen here, once per process.
enum DaemonTracing {
    /// Bootstraps the tracer and returns the service that exports its spans (to run
    /// first in the group, so that it stops last and sends the spans of the shutdown);
    /// nil when tracing is off.
    static func bootstrap(
        _ settings: TracingSettings, serviceName: String, environment: [String: String], logger: Logger
    ) throws -> (any Service)? {
        guard settings.isEnabled(environment: environment) else { return nil }
        let backend = try OTel.makeTracingBackend(configuration: configuration(settings, serviceName: serviceName))
        InstrumentationSystem.bootstrap(backend.factory)
        logger.info(
            "tracing on",
            metadata: [
                "endpoint":
                    "\(settings.otlpEndpoint ?? environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] ?? environment["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? "")",
                "protocol": "\(settings.otlpProtocol)", "sample_ratio": "\(settings.sampleRatio)",
            ])
        return backend.service
    }

    static func configuration(_ settings: TracingSettings, serviceName: String) -> OTel.Configuration {
        var configuration = OTel.Configuration.default
        configuration.serviceName = settings.serviceName ?? serviceName
        configuration.logs.enabled = false
        configuration.metrics.enabled = false  // metrics stay on /metrics (Prometheus)
        configuration.traces.enabled = true
        configuration.traces.exporter = .otlp
        configuration.propagators = [.traceContext]
        configuration.traces.sampler = .parentBasedTraceIDRatio(ratio: settings.sampleRatio) ?? .parentBasedAlwaysOn
        if let endpoint = settings.otlpEndpoint { configuration.traces.otlpExporter.endpoint = endpoint }
        configuration.traces.otlpExporter.protocol = settings.otlpProtocol == "http/json" ? .httpJSON : .httpProtobuf
        // The exporter's own troubles (a collector away) are warnings, not the daemon's errors.
        configuration.diagnosticLogLevel = .warning
        return configuration
    }
}
