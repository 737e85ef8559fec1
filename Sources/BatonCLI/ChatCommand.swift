import ArgumentParser
import BatonAgents
import BatonLLM
import BatonSchedulerClient
import Foundation
import Synchronization

struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Talk with the business assistant; it starts long analyses as workflows and follows them.",
        discussion: """
            Reads one message per line from standard input until end of input or /quit.
            The model is any OpenAI-compatible server: for a demo without a model,
            run baton-scripted-llm with config/scripted-llm/demo.json and point --llm-url at it.
            """)

    @OptionGroup var scheduler: SchedulerOptions

    @Option(help: "Base URL of an OpenAI-compatible server (env BATON_LLM_URL).")
    var llmURL: String?

    @Option(help: "The model to ask (env BATON_LLM_MODEL).")
    var model: String?

    @Option(help: "The environment variable that holds the API key, if the server needs one.")
    var apiKeyEnv: String?

    @Option(help: "Who you are; recorded with every task you start (default: $USER).")
    var caller: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let baseURL = llmURL ?? environment["BATON_LLM_URL"] else {
            throw ValidationError("give --llm-url (or BATON_LLM_URL): the OpenAI-compatible server to talk to")
        }
        var apiKey: String?
        if let apiKeyEnv {
            guard let key = environment[apiKeyEnv], !key.isEmpty else {
                throw ValidationError("--api-key-env names \(apiKeyEnv), which is not set in the environment")
            }
            apiKey = key
        }
        let client = ChatCompletionClient(
            provider: LLMProvider(
                baseURL: baseURL, model: model ?? environment["BATON_LLM_MODEL"] ?? "gpt-4o-mini", apiKey: apiKey))
        let assistant = BusinessAssistant(
            model: client, tasks: SchedulerTaskDelegate(baseURL: scheduler.baseURL),
            caller: caller ?? environment["USER"] ?? "cli")
        let interactive = isatty(STDIN_FILENO) == 1
        if interactive { print("Business assistant. Ask away; /quit or Ctrl-D ends.") }
        while true {
            if interactive {
                print("you> ", terminator: "")
                fflush(nil)  // every stream: `stdout` itself is shared mutable state to Swift 6
            }
            guard let line = readLine() else { break }
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            if text == "/quit" { break }
            print("assistant> ", terminator: "")
            fflush(nil)
            do {
                // The answer is printed as the model writes it.
                let streamed = Printed()
                let answer = try await assistant.respond(to: text) { piece in
                    streamed.mark()
                    print(piece, terminator: "")
                    fflush(nil)
                }
                print(streamed.happened ? "" : answer)
            } catch {
                print("(the model could not be reached: \(error))")
            }
        }
        let usage = await assistant.usage
        if interactive || usage.promptTokens > 0 {
            print("(this chat used \(usage.promptTokens) prompt + \(usage.completionTokens) completion tokens)")
        }
    }
}

/// Whether anything was printed while streaming.
private final class Printed: Sendable {
    private let flag = Mutex(false)
    func mark() { flag.withLock { $0 = true } }
    var happened: Bool { flag.withLock { $0 } }
}
