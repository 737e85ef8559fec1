import ArgumentParser
import BatonContracts
import BatonSchedulerClient
import Foundation

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List workflows, newest first.")

    @OptionGroup var scheduler: SchedulerOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Only workflows in this status (e.g. running, awaiting_input, failed).")
    var status: String?

    @Option(help: "Only the child workflows this workflow delegated.")
    var parent: String?

    @Option(help: "At most this many.")
    var limit = 20

    func validate() throws {
        if let status, WorkflowStatus(rawValue: status) == nil {
            let known = WorkflowStatus.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("unknown status '\(status)'; use one of \(known)")
        }
    }

    func run() async throws {
        let views = try await scheduler.client.list(
            status: status.flatMap(WorkflowStatus.init(rawValue:)), parent: parent, limit: limit)
        if output.json { return try output.printJSON(views) }
        for view in views {
            let progress = view.progress?.node.map { " \($0)" } ?? ""
            let caller = view.caller.map { "  by \($0)" } ?? ""
            terminalPrint(
                "\(view.id)  \(view.agent)  \(view.status.rawValue)  attempt \(view.attempt)\(progress)\(caller)")
        }
    }
}
