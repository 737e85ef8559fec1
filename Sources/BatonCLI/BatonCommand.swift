import ArgumentParser
import BatonSchedulerClient
import Foundation

@main
struct BatonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baton",
        abstract: "Submit and follow Baton workflows.",
        subcommands: [
            SubmitCommand.self, StatusCommand.self, WatchCommand.self, HistoryCommand.self, ListCommand.self,
            AgentsCommand.self,
            AnswerCommand.self,
            CancelCommand.self, ChatCommand.self, KeysCommand.self, DevCommand.self,
        ])
}

struct SchedulerOptions: ParsableArguments {
    @Option(name: .customLong("scheduler"), help: "The scheduler's base URL (env BATON_SCHEDULER_URL).")
    var schedulerURL: String?

    @Option(
        name: .customLong("api-key-file"),
        help: "A file holding your API key (default: env BATON_API_KEY, which is safer than a flag).")
    var apiKeyFile: String?

    var baseURL: String {
        let url = schedulerURL ?? ProcessInfo.processInfo.environment["BATON_SCHEDULER_URL"] ?? "http://127.0.0.1:8080"
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    /// The API key every request carries: from `--api-key-file`, else `BATON_API_KEY`.
    var credential: String {
        get throws {
            if let apiKeyFile {
                guard let text = try? String(contentsOfFile: apiKeyFile, encoding: .utf8) else {
                    throw ValidationError("cannot read the API key file \(apiKeyFile)")
                }
                return text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            guard let key = ProcessInfo.processInfo.environment["BATON_API_KEY"], !key.isEmpty else {
                throw ValidationError(
                    "no API key: set BATON_API_KEY (or --api-key-file) to a key your operator made with 'baton keys create' (or that 'baton dev' printed)"
                )
            }
            return key
        }
    }

    /// The scheduler's client, with the caller's key.
    var client: SchedulerClient {
        get throws { SchedulerClient(baseURL: baseURL, credential: try credential) }
    }
}
