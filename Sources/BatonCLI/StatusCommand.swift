import ArgumentParser
import BatonContracts
import BatonSchedulerClient
import Foundation

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Print a workflow as JSON.")

    @OptionGroup var scheduler: SchedulerOptions

    @Argument(help: "The workflow id.")
    var id: String

    func run() async throws {
        let view = try await scheduler.client.workflow(id)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        terminalPrint(String(decoding: try encoder.encode(view), as: UTF8.self))
    }
}
