import ArgumentParser
import BatonContracts
import BatonSchedulerClient
import Foundation

struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow a workflow live until it finishes, then print its result.",
        discussion: """
            On a terminal it draws a progress bar with the phase and percent; piped, it prints one line per change (with --json, one JSON event per line). It rides out a lost connection or a scheduler restart, and resumes where it was.

            \(CLIExit.help)
            """)

    @OptionGroup var scheduler: SchedulerOptions
    @OptionGroup var output: OutputOptions

    @Flag(help: "Print plain lines even on a terminal.")
    var plain = false

    @Flag(help: "Print the text model calls generate as they generate it (with --json, text events always come).")
    var text = false

    @Argument(help: "The workflow id.")
    var id: String

    func run() async throws {
        let display: WatchDisplay.Style = output.json ? .json : (!plain && isatty(STDOUT_FILENO) != 0 ? .bar : .lines)
        try await Self.follow(id, client: try scheduler.client, style: display, showsText: text)
    }

    /// Follows `id` to its end and prints as `style` says; exits with the workflow's
    /// outcome (`CLIExit`) unless it completed.
    static func follow(
        _ id: String, client: SchedulerClient, style: WatchDisplay.Style, showsText: Bool = false
    ) async throws {
        var display = WatchDisplay(id: id, style: style, showsText: showsText)
        let stream = client.follow(id) { error in
            FileHandle.standardError.write(
                Data("lost the scheduler (\(TerminalText.safe(error.message))); reconnecting…\n".utf8))
        }
        for try await event in stream {
            try display.show(event)
            if case .end(let view) = event {
                switch view.status {
                case .completed: return
                case .cancelled: throw CLIExit.workflowCancelled.exitCode
                default: throw CLIExit.workflowFailed.exitCode
                }
            }
        }
    }
}
