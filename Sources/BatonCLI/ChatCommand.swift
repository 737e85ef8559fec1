import ArgumentParser
import BatonAssistant
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
            Exits with 1 when every turn failed, or, reading from a pipe or a file, when the
            last one did: a script then knows the conversation did not get its answer.
            """)

    @OptionGroup var scheduler: SchedulerOptions

    @Option(help: "Base URL of an OpenAI-compatible server (env BATON_LLM_URL).")
    var llmURL: String?

    @Option(help: "The model to ask (env BATON_LLM_MODEL).")
    var model: String?

    @Option(help: "The environment variable that holds the API key, if the server needs one.")
    var apiKeyEnv: String?

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
                baseURL: baseURL, model: model ?? environment["BATON_LLM_MODEL"] ?? "gpt-4o-mini", apiKey: apiKey),
            log: { record in printError("(\(record.message))") })
        // The assistant acts as the key's holder: it starts tasks as them and reads only theirs.
        let tasks = SchedulerTaskDelegate(baseURL: scheduler.baseURL, credential: try scheduler.credential)
        let caller: String
        do {
            caller = try await tasks.client.identity().subject
        } catch {
            // Talking needs only the model; tasks wait for the scheduler. Until it answers,
            // the assistant follows only the tasks it starts in this conversation.
            printError("(the scheduler does not answer yet: \(error); long tasks need it)")
            caller = "you"
        }
        let assistant = BusinessAssistant(model: client, tasks: tasks, caller: caller)
        let interactive = isatty(STDIN_FILENO) == 1
        if interactive { terminalPrint("Business assistant. Ask away; /quit or Ctrl-D ends.") }
        var turns = TurnTally()
        while true {
            if interactive {
                terminalPrint("you> ", terminator: "")
                fflush(nil)  // every stream: `stdout` itself is shared mutable state to Swift 6
            }
            guard let line = readLine() else { break }
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            if text == "/quit" { break }
            terminalPrint("assistant> ", terminator: "")
            fflush(nil)
            do {
                // The answer is printed as the model writes it.
                let streamed = Printed()
                let answer = try await assistant.respond(to: text) { piece in
                    streamed.mark()
                    terminalPrint(piece, terminator: "")
                    fflush(nil)
                }
                terminalPrint(streamed.happened ? "" : answer)
                turns.succeeded()
            } catch {
                terminalPrint("(no answer: \(error))")
                turns.failed(error)
            }
        }
        let usage = await assistant.usage
        if interactive || usage.promptTokens > 0 {
            terminalPrint("(this chat used \(usage.promptTokens) prompt + \(usage.completionTokens) completion tokens)")
        }
        if let verdict = turns.failure(interactive: interactive, server: baseURL) {
            printError(verdict)
            throw ExitCode.failure
        }
    }
}

/// How the conversation's turns went, for the exit status.
struct TurnTally {
    private(set) var count = 0
    private(set) var failures = 0
    private(set) var lastError: (any Error)?
    private var lastFailed = false

    mutating func succeeded() {
        count += 1
        lastFailed = false
    }

    mutating func failed(_ error: any Error) {
        count += 1
        failures += 1
        lastFailed = true
        lastError = error
    }

    /// What went wrong and what to do, when the chat must end with a failure: every turn
    /// failed, or (read from a pipe or a file) the last one, whose answer a script waits for.
    func failure(interactive: Bool, server: String) -> String? {
        guard count > 0, let lastError else { return nil }
        let what: String
        if failures == count {
            what = count == 1 ? "the only turn failed" : "all \(count) turns failed"
        } else if !interactive && lastFailed {
            what = "the last turn failed (\(failures) of \(count) did)"
        } else {
            return nil
        }
        return "baton chat: \(what); the last error: \(lastError). "
            + "Check that \(server) is an OpenAI-compatible server that is up, that --model names a model it "
            + "serves and that --api-key-env names the variable with its key; then ask again."
    }
}

/// Diagnostics go to standard error, so that the answers on standard output stay clean.
private func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Whether anything was printed while streaming.
private final class Printed: Sendable {
    private let flag = Mutex(false)
    func mark() { flag.withLock { $0 = true } }
    var happened: Bool { flag.withLock { $0 } }
}
