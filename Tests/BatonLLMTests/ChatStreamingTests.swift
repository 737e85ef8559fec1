import BatonLLM
import BatonScriptedLLM
import Foundation
import Testing

/// Streamed completions end only when the protocol says so, and never retry into text
/// the caller has already been shown.
@Suite struct ChatStreamingTests {
    typealias Rule = LLMScript.Rule

    static let twoToolCalls = LLMScript.Reply(toolCalls: [
        .init(name: "get_kpis", arguments: ["area": "logistics"]),
        .init(name: "list_incidents", arguments: ["area": "support"]),
    ])

    /// The deltas received and how the stream ended.
    static func collect(
        _ client: ChatCompletionClient, _ request: ChatRequest
    ) async -> (deltas: [String], result: Result<ChatResponse, any Error>) {
        var deltas: [String] = []
        do {
            for try await event in client.stream(request) {
                switch event {
                case .delta(let piece): deltas.append(piece)
                case .completed(let response): return (deltas, .success(response))
                }
            }
            // A cancelled consumer's stream may just end: that is the cancellation, not an answer.
            if Task.isCancelled { return (deltas, .failure(CancellationError())) }
            return (deltas, .failure(LLMError(kind: .network, message: "ended without .completed", status: nil)))
        } catch {
            return (deltas, .failure(error))
        }
    }

    @Test func aStreamCutBeforeItsSecondToolCallIsRetriedNotRun() async throws {
        // Events: three pieces of the first call, three of the second, finish, usage, [DONE].
        try await ScriptedLLM.withServer([
            Rule(times: 1, reply: Self.twoToolCalls, streamCutAfter: 3), Rule(reply: Self.twoToolCalls),
        ]) { url, llm in
            let (deltas, result) = await Self.collect(
                ChatCompletionClientTests.client(url), ChatRequest(messages: [.user("look it up")]))
            let response = try result.get()
            #expect(deltas.isEmpty)
            #expect(response.message.toolCalls?.map(\.function.name) == ["get_kpis", "list_incidents"])
            #expect(response.attempts == 2)
            #expect(await llm.requests == 2)
        }
    }

    @Test func aStreamCutWithNothingShownIsARetryableIncompleteStream() async throws {
        try await ScriptedLLM.withServer([Rule(reply: Self.twoToolCalls, streamCutAfter: 3)]) { url, llm in
            let (_, result) = await Self.collect(
                ChatCompletionClientTests.client(url, retries: 0), ChatRequest(messages: [.user("look it up")]))
            #expect(throws: LLMError.self) { try result.get() }
            guard case .failure(let error as LLMError) = result else { return }
            #expect(error.kind == .incompleteStream)
            #expect(error.isRetryable)
            #expect(!error.afterPartialOutput)
            #expect(error.message.contains("no finish_reason and no data: [DONE]"))
            #expect(error.message.contains("none was run"))
        }
    }

    @Test func aStreamCutAfterTextWasShownFailsWithoutRepeatingIt() async throws {
        try await ScriptedLLM.withServer([
            Rule(times: 1, reply: .init(content: "the audit found three open issues"), streamCutAfter: 2),
            Rule(reply: .init(content: "the audit found three open issues")),
        ]) { url, llm in
            let (deltas, result) = await Self.collect(
                ChatCompletionClientTests.client(url), ChatRequest(messages: [.user("summarise")]))
            #expect(deltas == ["the", " audit"])  // shown once, never again
            guard case .failure(let error as LLMError) = result else {
                Issue.record("a cut stream completed: \(result)")
                return
            }
            #expect(error.kind == .incompleteStream)
            #expect(error.afterPartialOutput)
            #expect(!error.isRetryable)
            #expect(error.message.contains("9 characters already delivered"))
            #expect(await llm.requests == 1)
        }
    }

    @Test func anAnswerCutByTheTokenLimitIsTruncatedNotComplete() async throws {
        try await ScriptedLLM.withServer([Rule(reply: .init(content: "the first half of"), finishReason: "length")]) {
            url, llm in
            let client = ChatCompletionClientTests.client(url)
            let (_, result) = await Self.collect(client, ChatRequest(messages: [.user("write a long report")]))
            guard case .failure(let error as LLMError) = result else {
                Issue.record("a truncated stream completed: \(result)")
                return
            }
            #expect(error.kind == .truncated)
            #expect(!error.isRetryable)
            #expect(error.message.contains("finish_reason \"length\""))
            #expect(await llm.requests == 1)

            let (_, acceptedResult) = await Self.collect(
                client, ChatRequest(messages: [.user("write a long report")], acceptsTruncatedAnswer: true))
            let accepted = try acceptedResult.get()
            #expect(accepted.finishReason == "length")
            #expect(accepted.text == "the first half of")
        }
    }

    @Test func aStreamWithoutDoneButWithAFinishReasonIsComplete() async throws {
        // finish, usage, [DONE] are the last three events: drop only [DONE].
        try await ScriptedLLM.withServer([Rule(reply: .init(content: "a b c"), streamCutAfter: 5)]) { url, _ in
            let (_, result) = await Self.collect(
                ChatCompletionClientTests.client(url, retries: 0), ChatRequest(messages: [.user("x")]))
            let response = try result.get()
            #expect(response.text == "a b c")
            #expect(response.usage.completionTokens == 3)
        }
    }

    @Test func anEventLineLongerThanTheLimitFailsClearly() async throws {
        try await ScriptedLLM.withServer([Rule(reply: .init(content: "x"), contentRepeat: 10_000)]) { url, _ in
            let client = ChatCompletionClient(
                provider: LLMProvider(baseURL: url, model: "scripted", maxRetries: 0, maxEventBytes: 4096))
            let (_, result) = await Self.collect(client, ChatRequest(messages: [.user("x")]))
            guard case .failure(let error as LLMError) = result else {
                Issue.record("a 10 kB event passed a 4 KiB limit: \(result)")
                return
            }
            #expect(error.kind == .responseTooLarge)
            #expect(error.message.contains("longer than 4096 bytes"))
        }
    }

    @Test func aStreamLargerThanMaxResponseBytesFailsNamingTheLimit() async throws {
        try await ScriptedLLM.withServer([
            Rule(reply: .init(content: "word "), contentRepeat: 20_000, eventIntervalMs: 0)
        ]) { url, _ in
            let client = ChatCompletionClient(
                provider: LLMProvider(baseURL: url, model: "scripted", maxRetries: 0, maxResponseBytes: 64 * 1024))
            let (deltas, result) = await Self.collect(client, ChatRequest(messages: [.user("x")]))
            guard case .failure(let error as LLMError) = result else {
                Issue.record("an unbounded stream completed")
                return
            }
            #expect(error.kind == .responseTooLarge)
            #expect(error.message.contains("max_response_bytes (65536 bytes)"))
            #expect(error.afterPartialOutput == !deltas.isEmpty)
        }
    }

    @Test func cancellingAStreamedCallAbortsItWithoutAnAnswer() async throws {
        try await ScriptedLLM.withServer([Rule(reply: .init(content: "one two three"), eventIntervalMs: 60_000)]) {
            url, llm in
            let clock = ContinuousClock()
            let started = clock.now
            let client = ChatCompletionClientTests.client(url, timeout: .seconds(60))
            let consumer = Task { await Self.collect(client, ChatRequest(messages: [.user("x")])) }
            // Cancelled once the request is at the server (a fixed pause lost that race on a loaded machine).
            for _ in 0..<200 where await llm.requests == 0 { try await Task.sleep(for: .milliseconds(25)) }
            try await Task.sleep(for: .milliseconds(200))
            consumer.cancel()
            let (_, result) = await consumer.value
            #expect(started.duration(to: clock.now) < .seconds(30), "the next event comes after 60 s")
            guard case .failure(let error) = result else {
                Issue.record("a cancelled stream completed")
                return
            }
            #expect(!(error is LLMError), "cancelled, not a model failure: \(error)")
            #expect(await llm.requests == 1)  // no retry after the cancel
        }
    }
}
