import ArgumentParser
import BatonScriptedLLM
import Foundation
import Hummingbird

/// A test and demo server that imitates an OpenAI-compatible model from a script file.
/// It is not a model: point a provider's `base_url` at a real one for real answers.
@main
struct ScriptedLLMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baton-scripted-llm",
        abstract: "Scripted OpenAI-compatible server for tests and demos (answers from a script, not a model).")

    @Option(help: "The script (JSON): rules matched against the last user message.")
    var script: String

    @Option var host = "127.0.0.1"
    @Option var port = 18_700

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: script) else {
            throw ValidationError("cannot read the script file \(script)")
        }
        let parsed: LLMScript
        do {
            parsed = try JSONDecoder().decode(LLMScript.self, from: data)
        } catch {
            throw ValidationError("the script \(script) is not valid: \(error)")
        }
        let router = Router()
        ScriptedLLM(script: parsed).addRoutes(to: router)
        try await Application(router: router, configuration: .init(address: .hostname(host, port: port))).runService()
    }
}
