import ArgumentParser
import BatonContracts
import BatonSchedulerClient

struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel a workflow; a running activity is told to stop.")

    @OptionGroup var scheduler: SchedulerOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The workflow id.")
    var id: String

    @Option(help: "Why, for the record.")
    var reason: String?

    func run() async throws {
        let view = try await scheduler.client.cancel(id, reason: reason)
        if output.json { return try output.printJSON(view) }
        terminalPrint("\(view.id) \(view.status.rawValue)")
    }
}
