import ArgumentParser
import BatonConfiguration
import BatonObservability
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// A daemon's configuration: read from YAML, overridden by environment variables,
/// then validated as a whole (every problem reported at start).
public protocol DaemonConfiguration: ShapedConfiguration {
    mutating func apply(_ environment: EnvironmentOverrides) throws(ConfigurationError)
    func validate(source: String) throws(ConfigurationError)
    var logLevel: String { get }
    var logFormat: String { get }
}

/// How `baton-scheduler` and `baton-worker` start and stop, written once: load the
/// configuration (exit 78, EX_CONFIG, with every problem it has), set up logging and
/// metrics, make the services (exit 69, EX_UNAVAILABLE, when a dependency refuses at
/// start), and run them until SIGTERM or SIGINT, then shut down gracefully within
/// `shutdownGrace`.
public enum DaemonBootstrap {
    /// Variables the daemons' environment may carry for others: the image's health check
    /// and the CLI.
    static let readElsewhere: Set<String> = ["BATON_HEALTH_URL", "BATON_API_KEY"]

    public static func run<Configuration: DaemonConfiguration>(
        _ name: String, configurationPath: String, as _: Configuration.Type,
        shutdownGrace: (Configuration) -> Duration,
        services: (Configuration, Logger, PrometheusCollectorRegistry) async throws -> [ServiceGroupConfiguration
            .ServiceConfiguration]
    ) async throws {
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
        LoggingSystem.bootstrap { label in DaemonLogHandler(label: label, level: level, format: format) }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "baton.\(name.replacingOccurrences(of: "baton-", with: ""))")
        for variable in environment.unaskedBatonVariables where !Self.readElsewhere.contains(variable) {
            logger.warning(
                "\(variable) is set, but \(name) has no such setting: misspelt, or meant for another program?")
        }
        let made: [ServiceGroupConfiguration.ServiceConfiguration]
        do {
            made = try await services(configuration, logger, registry)
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
