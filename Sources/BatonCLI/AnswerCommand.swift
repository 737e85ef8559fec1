import ArgumentParser
import BatonContracts
import BatonSchedulerClient
import Foundation

struct AnswerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "answer", abstract: "Answer the question of a workflow waiting for input.")

    @OptionGroup var scheduler: SchedulerOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The workflow id.")
    var id: String

    @Option(help: "The id of the chosen option.")
    var choice: String?

    @Option(help: "Free text.")
    var text: String?

    func validate() throws {
        if choice == nil && text == nil { throw ValidationError("give --choice, --text or both") }
    }

    func run() async throws {
        var answer: [String: JSONValue] = [:]
        if let choice { answer["choice"] = .string(choice) }
        if let text { answer["text"] = .string(text) }
        let view = try await scheduler.client.answer(id, .object(answer))
        if output.json { return try output.printJSON(view) }
        terminalPrint("\(view.id) \(view.status.rawValue) attempt \(view.attempt)")
    }
}
