import ArgumentParser
import BatonSchedulerClient
import Foundation

@main
struct BatonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baton",
        abstract: "Submit and follow Baton workflows.",
        discussion: """
            Every command but dev and keys generate talks to the scheduler (--scheduler, or env BATON_SCHEDULER_URL) with your API key (env BATON_API_KEY, --api-key-file, or the one 'baton login' saved).

            \(CLIExit.help)
            """,
        subcommands: [
            SubmitCommand.self, StatusCommand.self, WatchCommand.self, HistoryCommand.self, ListCommand.self,
            AgentsCommand.self, AnswerCommand.self, CancelCommand.self, PauseCommand.self, ResumeCommand.self,
            TerminateCommand.self, RetryCommand.self, ForkCommand.self, ChatCommand.self, LoginCommand.self,
            KeysCommand.self, AdminCommand.self, DevCommand.self, ArtifactsCommand.self,
        ])

    /// As ArgumentParser's, but a scheduler's refusal exits with the status that tells
    /// what kind of refusal it was (`CLIExit`), after its message.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch let error as SchedulerClientError {
            FileHandle.standardError.write(Data("Error: \(TerminalText.safe(error.message))\n".utf8))
            exit(withError: CLIExit.code(for: error).exitCode)
        } catch {
            exit(withError: error)
        }
    }
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

    /// The API key every request carries: from `--api-key-file`, else `BATON_API_KEY`,
    /// else the one `baton login` saved.
    var credential: String {
        get throws {
            if let apiKeyFile {
                guard let text = try? String(contentsOfFile: apiKeyFile, encoding: .utf8) else {
                    throw ValidationError("cannot read the API key file \(apiKeyFile)")
                }
                return text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if let key = ProcessInfo.processInfo.environment["BATON_API_KEY"], !key.isEmpty { return key }
            if let saved = SavedCredential.read() { return saved }
            throw ValidationError(
                "no API key: run 'baton login', or set BATON_API_KEY (or --api-key-file), with a key your operator made with 'baton keys create' (or that 'baton dev' printed)"
            )
        }
    }

    /// The scheduler's client, with the caller's key.
    var client: SchedulerClient {
        get throws { SchedulerClient(baseURL: baseURL, credential: try credential) }
    }
}
