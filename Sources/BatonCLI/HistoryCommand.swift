import ArgumentParser
import BatonContracts
import BatonSchedulerClient
import Foundation

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Print a workflow's events, oldest first, with what the scheduler did of each.")

    @OptionGroup var scheduler: SchedulerOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The workflow id.")
    var id: String

    func run() async throws {
        let client = try scheduler.client
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var after = 0
        var all: [WorkflowHistoryEntry] = []
        while true {
            let page = try await client.history(id, after: after, limit: 500)
            if output.json {
                all += page
                if page.count == 500, let last = page.last {
                    after = last.sequence
                    continue
                }
                return try output.printJSON(all)
            }
            for entry in page {
                let payload = entry.payload.map { " " + Self.brief($0) } ?? ""
                terminalPrint(
                    "\(formatter.string(from: entry.recordedAt))  attempt \(entry.attempt)  \(entry.type)  \(entry.outcome)\(payload)"
                )
            }
            guard page.count == 500, let last = page.last else { return }
            after = last.sequence
        }
    }

    /// One line of at most 160 characters.
    static func brief(_ payload: JSONValue) -> String {
        let text = payload.compactText
        return text.count > 160 ? String(text.prefix(157)) + "..." : text
    }
}
