import ArgumentParser
import Foundation

@main
struct BatonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baton",
        abstract: "Submit and follow Baton workflows.",
        subcommands: [
            SubmitCommand.self, StatusCommand.self, WatchCommand.self, HistoryCommand.self, ListCommand.self,
            AnswerCommand.self,
            CancelCommand.self, ChatCommand.self, DevCommand.self,
        ])
}

struct SchedulerOptions: ParsableArguments {
    @Option(name: .customLong("scheduler"), help: "The scheduler's base URL (env BATON_SCHEDULER_URL).")
    var schedulerURL: String?

    var baseURL: String {
        let url = schedulerURL ?? ProcessInfo.processInfo.environment["BATON_SCHEDULER_URL"] ?? "http://127.0.0.1:8080"
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }
}
