import ArgumentParser
import BatonContracts
import BatonSchedulerClient
import Foundation

struct AgentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agents",
        abstract: "The agents the live workers serve, and the input each takes.")

    @OptionGroup var scheduler: SchedulerOptions

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let agents = try await scheduler.client.agents()
        if output.json { return try output.printJSON(agents) }
        if agents.isEmpty { terminalPrint("no live worker has reported; start one with 'make run-worker'") }
        for agent in agents {
            terminalPrint("\(agent.name)  (\(agent.workers) worker\(agent.workers == 1 ? "" : "s"))")
            if !agent.summary.isEmpty { terminalPrint("  \(agent.summary)") }
            let required = Set(agent.inputSchema?["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            guard case .object(let properties)? = agent.inputSchema?["properties"] else { continue }
            for name in properties.keys.sorted() {
                let field = properties[name] ?? [:]
                let type = field["type"].map { $0.stringValue ?? $0.compactText } ?? "any"
                let note = field["description"]?.stringValue.map { "  \($0)" } ?? ""
                terminalPrint("    \(name): \(type)\(required.contains(name) ? ", required" : "")\(note)")
            }
        }
    }
}
