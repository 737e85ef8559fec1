import ArgumentParser
import BatonAgents
import BatonConfiguration
import BatonLifecycle
import BatonWorker
import Logging
import ServiceLifecycle

@main
struct WorkerDaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baton-worker", abstract: "Runs Baton graph agents as long activities from the 'agents' queue.")

    @Option(help: "YAML configuration file.")
    var config = "config/configuration_worker.yaml"

    func run() async throws {
        var configuration: WorkerConfiguration
        let builtIn = AgentRegistry.builtIn
        do {
            configuration = try ConfigurationLoader.load(WorkerConfiguration.self, from: config)
            try configuration.apply(EnvironmentOverrides())
            try configuration.validate(source: config, knownAgents: builtIn.names)
        } catch {
            print("baton-worker: \(error)")
            throw ExitCode(78)  // EX_CONFIG
        }
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "baton.worker")
        let registry =
            configuration.agents.isEmpty
            ? builtIn : AgentRegistry(configuration.agents.compactMap { builtIn.agent(named: $0) })
        let worker = WorkerService(configuration: configuration, registry: registry, logger: logger)
        var group = ServiceGroupConfiguration(services: [worker.shutsDownGroupWhenDone], logger: logger)
        group.gracefulShutdownSignals = [.sigterm, .sigint]
        group.maximumGracefulShutdownDuration = .seconds(configuration.drainTimeoutSeconds + 5)
        try await ServiceGroup(configuration: group).run()
    }
}
