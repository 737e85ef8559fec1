import ArgumentParser
import BatonConfiguration
import BatonObservability
import Foundation
import Logging
import Metrics
import OTel
import Prometheus
import ServiceLifecycle

/// A daemon's configuration: read from YAML, overridden by environment variables,
/// then validated as a whole (every problem reported at start).
public protocol DaemonConfiguration: ShapedConfiguration {
    mutating func apply(_ environment: EnvironmentOverrides) throws(ConfigurationError)
    func validate(source: String) throws(ConfigurationError)
    var logLevel: String { get }
    var logFormat: String { get }
    var tracing: TracingSettings { get }
    /// Said at start, after the configuration is valid: settings that work but expose
    /// something (a password sent in the clear, an unverified server).
    var startWarnings: [String] { get }
}

extension DaemonConfiguration {
    public var startWarnings: [String] { [] }
}

/// How `baton-scheduler` and `baton-worker` start and stop, written once: load the
/// configuration (exit 78, EX_CONFIG, with every problem it has), set up logging and
/// metrics, make the services (exit 69, EX_UNAVAILABLE, when a dependency refuses at
/// start), and run them until SIGTERM or SIGINT, then shut down gracefully within
/// `shutdownGrace`.
public enum DaemonBootstrap {
    /// Variables the daemons' environment may carry for others: the image's health check
    /// and the CLI, and the tests' own (`BATON_TEST_…`, from `scripts/services.sh env`).
    static func isReadElsewhere(_ variable: String) -> Bool {
        ["BATON_HEALTH_URL", "BATON_API_KEY"].contains(variable) || variable.hasPrefix("BATON_TEST_")
    }

    /// Reads and checks the configuration (exit 78 with every problem it has), sets up
    /// logging, and says the start warnings: what a daemon and its one-shot commands
    /// (`baton-scheduler migrate`) do first.
    public static func load<Configuration: DaemonConfiguration>(
        _ name: String, configurationPath: String, as _: Configuration.Type
    ) throws -> (Configuration, Logger) {
        var configuration: Configuration
        let environment = EnvironmentOverrides()
        do {
            configuration = try ConfigurationLoader.load(Configuration.self, from: configurationPath)
            try configuration.apply(environment)
            try configuration.validate(source: configurationPath)
        } catch {
            print("\(name): \(error)")
            throw ExitCode(78)
        }
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        let format = LogFormat(rawValue: configuration.logFormat) ?? .text
        // Inside a span, every line names its trace_id and span_id.
        LoggingSystem.bootstrap(
            { label, provider in
                var handler = DaemonLogHandler(label: label, level: level, format: format)
                handler.metadataProvider = provider
                return handler
            }, metadataProvider: OTel.makeLoggingMetadataProvider())
        let logger = Logger(label: "baton.\(name.replacingOccurrences(of: "baton-", with: ""))")
        for warning in configuration.startWarnings { logger.warning("\(warning)") }
        for variable in environment.unaskedBatonVariables where !Self.isReadElsewhere(variable) {
            logger.warning(
                "\(variable) is set, but \(name) has no such setting: misspelt, or meant for another program?")
        }
        return (configuration, logger)
    }

    public static func run<Configuration: DaemonConfiguration>(
        _ name: String, configurationPath: String, as _: Configuration.Type,
        shutdownGrace: (Configuration) -> Duration,
        services: (Configuration, Logger, PrometheusCollectorRegistry) async throws -> [ServiceGroupConfiguration
            .ServiceConfiguration]
    ) async throws {
        let (configuration, logger) = try load(name, configurationPath: configurationPath, as: Configuration.self)
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Steps and model calls take seconds to minutes, past the default buckets' 10 s.
        let long: [Duration] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800].map {
            .milliseconds(Int($0 * 1000))
        }
        // A start waits milliseconds on an idle fleet and minutes on a busy one.
        let wait: [Duration] = [
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800,
        ].map { .microseconds(Int($0 * 1_000_000)) }
        factory.durationHistogramBuckets = [
            "baton_graph_step_seconds": long, "baton_llm_request_seconds": long,
            "baton_dispatch_to_start_seconds": wait,
        ]
        MetricsSystem.bootstrap(factory)
        var made: [ServiceGroupConfiguration.ServiceConfiguration] = []
        do {
            if let exporter = try DaemonTracing.bootstrap(
                configuration.tracing, serviceName: name, environment: ProcessInfo.processInfo.environment,
                logger: logger)
            {
                made.append(.init(service: exporter))
            }
            made += try await services(configuration, logger, registry)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(69)
        }
        var group = ServiceGroupConfiguration(services: made, logger: logger)
        group.gracefulShutdownSignals = [.sigterm, .sigint]
        group.maximumGracefulShutdownDuration = shutdownGrace(configuration)
        try await ServiceGroup(configuration: group).run()
    }
}
