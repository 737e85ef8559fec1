import ArgumentParser
import BatonDaemon
import BatonScheduler

@main
struct SchedulerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baton-scheduler",
        abstract: "Baton's control plane: workflow state in PostgreSQL, commands on AMQP, the HTTP API.")

    @Option(help: "YAML configuration file.")
    var config = "config/configuration_scheduler.yaml"

    func run() async throws {
        try await DaemonBootstrap.run(
            "baton-scheduler", configurationPath: config, as: SchedulerConfiguration.self,
            shutdownGrace: { _ in .seconds(30) },
            services: { configuration, logger, metrics in
                try await Scheduler.makeServices(configuration: configuration, logger: logger, metrics: metrics)
            })
    }
}

extension SchedulerConfiguration: DaemonConfiguration {}
