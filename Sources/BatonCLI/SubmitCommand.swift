import ArgumentParser
import BatonContracts
import BatonSchedulerClient
import Foundation

struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit", abstract: "Submit a workflow; prints its id (and waits for it with --wait).")

    @OptionGroup var scheduler: SchedulerOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "The agent to run, e.g. chain.")
    var agent: String

    @Option(help: "The agent's input as JSON.")
    var input = "{}"

    @Option(help: "Your own id: submitting it again returns the same workflow.")
    var id: String?

    @Flag(help: "Wait until the workflow finishes and print its result.")
    var wait = false

    func run() async throws {
        let parsedInput: JSONValue
        do {
            parsedInput = try JSONDecoder().decode(JSONValue.self, from: Data(input.utf8))
        } catch {
            throw ValidationError("--input is not valid JSON: \(input)")
        }
        let client = try scheduler.client
        // The caller recorded with the workflow is the key's holder, set by the scheduler.
        let view = try await client.submit(SubmitWorkflowRequest(id: id, agent: agent, input: parsedInput))
        if output.json && !wait {
            try output.printJSON(view)
        } else if !output.json {
            terminalPrint(view.id)
        }
        if wait {
            try await WatchCommand.follow(
                view.id, client: client,
                style: output.json ? .json : (isatty(STDOUT_FILENO) != 0 ? .bar : .lines))
        }
    }
}
