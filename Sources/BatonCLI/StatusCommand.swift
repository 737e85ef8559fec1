import ArgumentParser
import BatonContracts
import BatonSchedulerClient
import Foundation

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Print a workflow as JSON.")
    // Always JSON; --json is accepted so that every command takes it.
    @OptionGroup var output: OutputOptions

    @OptionGroup var scheduler: SchedulerOptions

    @Argument(help: "The workflow id.")
    var id: String

    func run() async throws {
        let view = try await scheduler.client.workflow(id)
        try output.printJSON(view)
    }
}
