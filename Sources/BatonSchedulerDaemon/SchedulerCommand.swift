import ArgumentParser
import BatonDaemon
import BatonScheduler

@main
struct SchedulerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baton-scheduler",
        abstract: "Baton's control plane: workflow state in PostgreSQL, commands on AMQP, the HTTP API.",
        subcommands: [Serve.self, Migrate.self], defaultSubcommand: Serve.self)
}

struct ConfigurationOption: ParsableArguments {
    @Option(help: "YAML configuration file.")
    var config = "config/configuration_scheduler.yaml"
}

extension SchedulerCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the scheduler (the default): migrate the database if needed, then serve.")

        @OptionGroup var options: ConfigurationOption

        func run() async throws {
            try await DaemonBootstrap.run(
                "baton-scheduler", configurationPath: options.config, as: SchedulerConfiguration.self,
                shutdownGrace: { _ in .seconds(30) },
                services: { configuration, logger, metrics in
                    try await Scheduler.makeServices(configuration: configuration, logger: logger, metrics: metrics)
                })
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bring the database schema up to date, then exit.",
            discussion: """
                Uses migration_postgres_url (BATON_MIGRATION_POSTGRES_URL) when it is set, and \
                grants the role of postgres_url its rows; otherwise postgres_url. Run it once \
                before the replicas start, so that their role needs no right to change the \
                schema. Exit status: 0 when the schema is up to date, 78 for a configuration \
                error, 69 when the database refused or could not be reached in time.
                """)

        @OptionGroup var options: ConfigurationOption

        @Option(help: "How long to wait for a database that is still starting, in seconds.")
        var waitSeconds = 60

        func run() async throws {
            let (configuration, logger) = try DaemonBootstrap.load(
                "baton-scheduler", configurationPath: options.config, as: SchedulerConfiguration.self)
            do {
                let applied = try await Scheduler.migrate(
                    configuration: configuration, logger: logger, waitingUpTo: .seconds(max(waitSeconds, 0)))
                print(
                    applied.isEmpty
                        ? "baton-scheduler: the database schema is up to date"
                        : "baton-scheduler: applied the migrations \(applied.map(String.init).joined(separator: ", "))"
                )
            } catch {
                logger.critical("cannot migrate: \(error)")
                throw ExitCode(69)
            }
        }
    }
}

extension SchedulerConfiguration: DaemonConfiguration {}
