import ArgumentParser
import BatonConfiguration
import BatonLifecycle
import BatonObservability
import BatonScheduler
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

@main
struct SchedulerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baton-scheduler",
        abstract: "Baton's control plane: workflow state in PostgreSQL, commands on AMQP, the HTTP API.")

    @Option(help: "YAML configuration file.")
    var config = "config/configuration_scheduler.yaml"

    func run() async throws {
        var configuration: SchedulerConfiguration
        do {
            configuration = try ConfigurationLoader.load(SchedulerConfiguration.self, from: config)
            try configuration.apply(EnvironmentOverrides())
            try configuration.validate(source: config)
        } catch {
            print("baton-scheduler: \(error)")
            throw ExitCode(78)  // EX_CONFIG
        }
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in EscapingLogHandler(label: label, level: level) }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "baton.scheduler")
        let services: [ServiceGroupConfiguration.ServiceConfiguration]
        do {
            services = try await Scheduler.makeServices(configuration: configuration, logger: logger, metrics: registry)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(69)  // EX_UNAVAILABLE
        }
        var group = ServiceGroupConfiguration(services: services, logger: logger)
        group.gracefulShutdownSignals = [.sigterm, .sigint]
        group.maximumGracefulShutdownDuration = .seconds(30)
        try await ServiceGroup(configuration: group).run()
    }
}
