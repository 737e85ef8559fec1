import ArgumentParser
import BatonContracts
import BatonSchedulerClient
import Foundation

struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch", abstract: "Follow a workflow's progress until it finishes.")

    @OptionGroup var scheduler: SchedulerOptions

    @Argument(help: "The workflow id.")
    var id: String

    func run() async throws {
        try await Self.follow(id, client: try scheduler.client)
    }

    /// Prints each change of status or progress, then the result; fails unless completed.
    static func follow(_ id: String, client: SchedulerClient) async throws {
        var last = ""
        while true {
            let view = try await client.workflow(id)
            var line =
                "\(view.status.rawValue) attempt=\(view.attempt) step=\(view.checkpointStep ?? 0)"
                + (view.progress?.node.map { " node=\($0)" } ?? "")
                + (view.progress?.percent.map { " \(TerminalText.wholeNumber($0))%" } ?? "")
                + (view.progress?.label.map { " – \($0)" } ?? "")
            if view.status == .awaitingInput, let child = view.interrupt?["childWorkflowId"]?.stringValue {
                line += "\n  waiting for child workflow \(child) (baton watch \(child))"
            } else if view.status == .awaitingInput, let question = view.interrupt?["question"]?.stringValue {
                line += "\n  waiting for an answer: \(question) (baton answer \(id) --choice … / --text …)"
            }
            if line != last {
                terminalPrint(line)
                last = line
            }
            if view.status.isTerminal {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                if let markdown = view.result?["report"]?["markdown"]?.stringValue {
                    terminalPrint(markdown)
                } else if let result = view.result {
                    terminalPrint(String(decoding: try encoder.encode(result), as: UTF8.self))
                }
                if let usage = view.usage?.total, usage.promptTokens + usage.completionTokens > 0 {
                    terminalPrint(
                        "model usage: \(usage.promptTokens) prompt + \(usage.completionTokens) completion tokens in \(usage.calls) calls, cost \(String(format: "%.6f", usage.cost))"
                    )
                }
                if let error = view.error { terminalPrint("error: \(error.kind): \(error.message)") }
                if view.status != .completed { throw ExitCode(1) }
                return
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }
}
