import ArgumentParser
import BatonConfiguration
import BatonDaemon
import BatonLifecycle
import BatonObservability
import BatonWorker
import Foundation

@main
struct WorkerDaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baton-worker", abstract: "Runs Baton graph agents as long activities from the 'agents' queue.")

    @Option(help: "YAML configuration file.")
    var config = "config/configuration_worker.yaml"

    func run() async throws {
        try await DaemonBootstrap.run(
            "baton-worker", configurationPath: config, as: WorkerConfiguration.self,
            // A draining worker hands its activities back within the drain timeout.
            shutdownGrace: { .seconds($0.drainTimeoutSeconds + 5) },
            services: { configuration, logger, metrics in
                let (registry, skipped) = configuration.registry()
                for reason in skipped { logger.notice("agent not served: \(reason)") }
                let worker = WorkerService(configuration: configuration, registry: registry, logger: logger)
                var services = [worker.shutsDownGroupWhenDone]
                if configuration.metricsPort > 0 {
                    let server = MetricsRoutes.server(
                        host: configuration.metricsHost, port: configuration.metricsPort, registry: metrics,
                        logger: logger)
                    services.append(server.shutsDownGroupWhenDone)
                }
                return services
            })
    }
}

extension WorkerConfiguration: DaemonConfiguration {
    public func validate(source: String) throws(ConfigurationError) {
        try validate(source: source, environment: ProcessInfo.processInfo.environment)
    }
}
