import BatonLLM
import BatonScriptedLLM
import ChildProcesses
import Foundation
import Testing

/// `baton chat` (the built binary) against the scripted server: its exit status tells a
/// script whether the conversation got its answers.
@Suite struct ChatCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let binary = root.appendingPathComponent(".build/debug/baton")

    struct Outcome {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs `baton chat` with `lines` on standard input (a pipe: not interactive).
    static func chat(_ url: String, _ lines: [String]) async throws -> Outcome {
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build it with 'swift build'")
        // A key, and a scheduler that is not there: the conversation needs only the model.
        var environment = ProcessInfo.processInfo.environment
        environment["BATON_API_KEY"] = "bk_0123456789abcdef_" + String(repeating: "0", count: 64)
        environment["BATON_SCHEDULER_URL"] = "http://127.0.0.1:9"
        let run = try await ChildProcess.run(
            binary.path, arguments: ["chat", "--llm-url", url, "--model", "scripted"], environment: environment,
            input: lines.map { $0 + "\n" }.joined())
        return Outcome(status: run.status, output: run.output, errors: run.errors)
    }

    @Test func aChatWhoseTurnsAllFailedExitsWithOneAndSaysWhatToDo() async throws {
        try await ScriptedLLM.withServer([.init(status: 400)]) { url, _ in
            let outcome = try await Self.chat(url, ["hello", "anyone there?"])
            #expect(outcome.status == 1)
            #expect(outcome.errors.contains("all 2 turns failed"), "\(outcome.errors)")
            #expect(outcome.errors.contains("scripted failure 400"))
            #expect(outcome.errors.contains("Check that \(url) is an OpenAI-compatible server"))
        }
    }

    @Test func aPipedChatWhoseLastTurnFailedExitsWithOne() async throws {
        try await ScriptedLLM.withServer([
            .init(match: "first", reply: .init(content: "the first answer")), .init(status: 400),
        ]) { url, _ in
            let outcome = try await Self.chat(url, ["first question", "second question"])
            #expect(outcome.status == 1)
            #expect(outcome.output.contains("the first answer"))
            #expect(outcome.errors.contains("the last turn failed (1 of 2 did)"), "\(outcome.errors)")
        }
    }

    @Test func aChatWhoseLastTurnWasAnsweredExitsWithZero() async throws {
        try await ScriptedLLM.withServer([
            .init(match: "first", status: 400), .init(reply: .init(content: "an answer")),
        ]) { url, _ in
            let outcome = try await Self.chat(url, ["first question", "second question"])
            #expect(outcome.status == 0, "\(outcome.errors)")
            #expect(outcome.output.contains("an answer"))
        }
    }
}
