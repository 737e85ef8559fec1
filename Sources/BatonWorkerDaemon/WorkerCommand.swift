import ArgumentParser
import BatonConfiguration
import BatonLifecycle
import BatonObservability
import BatonWorker
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

@main
struct WorkerDaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baton-worker", abstract: "Runs Baton graph agents as long activities from the 'agents' queue.")

    @Option(help: "YAML configuration file.")
    var config = "config/configuration_worker.yaml"

    func run() async throws {
        var configuration: WorkerConfiguration
        do {
            configuration = try ConfigurationLoader.load(WorkerConfiguration.self, from: config)
            try configuration.apply(EnvironmentOverrides())
            try configuration.validate(source: config)
        } catch {
            print("baton-worker: \(error)")
            throw ExitCode(78)  // EX_CONFIG
        }
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in EscapingLogHandler(label: label, level: level) }
        let logger = Logger(label: "baton.worker")
        let metrics = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics))
        let (registry, skipped) = configuration.registry()
        for reason in skipped { logger.notice("agent not served: \(reason)") }
        let worker = WorkerService(configuration: configuration, registry: registry, logger: logger)
        var services = [worker.shutsDownGroupWhenDone]
        if configuration.metricsPort > 0 {
            let server = MetricsRoutes.server(
                host: configuration.metricsHost, port: configuration.metricsPort, registry: metrics, logger: logger)
            services.append(server.shutsDownGroupWhenDone)
        }
        var group = ServiceGroupConfiguration(services: services, logger: logger)
        group.gracefulShutdownSignals = [.sigterm, .sigint]
        group.maximumGracefulShutdownDuration = .seconds(configuration.drainTimeoutSeconds + 5)
        try await ServiceGroup(configuration: group).run()
    }
}
