import ArgumentParser
import BatonContracts
import BatonSchedulerClient

/// An operator's commands: each is recorded in the workflow's history with your key's name.
struct PauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause",
        abstract: "Pause a workflow: its running attempt stops at its next checkpoint, and nothing runs until resume.")

    @OptionGroup var scheduler: SchedulerOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The workflow id.") var id: String

    func run() async throws {
        let view = try await scheduler.client.control(.pause, id)
        if output.json { return try output.printJSON(view) }
        terminalPrint(
            view.status == .paused ? "\(view.id) paused" : "\(view.id) pausing: it stops at its next checkpoint")
    }
}

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Resume a paused workflow from its newest checkpoint.")

    @OptionGroup var scheduler: SchedulerOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The workflow id.") var id: String

    func run() async throws {
        let view = try await scheduler.client.control(.resume, id)
        if output.json { return try output.printJSON(view) }
        terminalPrint("\(view.id) \(view.status.rawValue) attempt \(view.attempt)")
    }
}

struct TerminateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "terminate",
        abstract: "End a workflow now, without waiting for its running attempt (cancel waits for it).")

    @OptionGroup var scheduler: SchedulerOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The workflow id.") var id: String
    @Option(help: "Why, for the record.") var reason: String?

    func run() async throws {
        let view = try await scheduler.client.control(.terminate, id, reason: reason)
        if output.json { return try output.printJSON(view) }
        terminalPrint("\(view.id) \(view.status.rawValue) (terminated)")
    }
}

struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Run a failed, timed-out or cancelled workflow again from its last checkpoint, as a new workflow.")

    @OptionGroup var scheduler: SchedulerOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The workflow id.") var id: String
    @Option(name: .customLong("new-id"), help: "The new workflow's id (default: a random one).") var newId: String?

    func run() async throws {
        let view = try await scheduler.client.retry(id, id: newId)
        if output.json { return try output.printJSON(view) }
        terminalPrint(view.id)
    }
}

struct ForkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fork", abstract: "Start a new workflow from one of a workflow's kept checkpoints.")

    @OptionGroup var scheduler: SchedulerOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The workflow id.") var id: String
    @Option(help: "The checkpoint's step (default: the newest).") var step: Int?
    @Option(name: .customLong("new-id"), help: "The new workflow's id (default: a random one).") var newId: String?

    func run() async throws {
        let view = try await scheduler.client.fork(id, step: step, id: newId)
        if output.json { return try output.printJSON(view) }
        terminalPrint(view.id)
    }
}
