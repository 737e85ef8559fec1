import BatonLLM
import BatonScriptedLLM
import Foundation
import Testing

/// The libcurl chat client against the scripted OpenAI-compatible server, in-process.
@Suite struct ChatCompletionClientTests {
    static func withScriptedLLM(
        _ rules: [LLMScript.Rule], _ body: @Sendable (String, ScriptedLLM) async throws -> Void
    ) async throws {
        try await ScriptedLLM.withServer(rules, body)
    }

    static func client(
        _ url: String, timeout: Duration = .seconds(10), retries: Int = 3, key: String? = nil
    )
        -> ChatCompletionClient
    {
        ChatCompletionClient(
            provider: LLMProvider(
                baseURL: url, model: "scripted", apiKey: key, timeout: timeout, maxRetries: retries,
                initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(100)))
    }

    @Test func toolCallsComeBackTyped() async throws {
        try await Self.withScriptedLLM([
            .init(match: "look up", reply: .init(toolCalls: [.init(name: "lookup", arguments: ["q": "invoices"])]))
        ]) { url, _ in
            let tool = ToolDefinition(
                name: "lookup", description: "Search the records",
                parameters: ["type": "object", "properties": ["q": ["type": "string"]]])
            let response = try await Self.client(url).complete(
                ChatRequest(messages: [.system("You are terse."), .user("please look up the invoices")], tools: [tool]))
            let call = try #require(response.message.toolCalls?.first)
            #expect(call.function.name == "lookup")
            #expect(call.function.arguments.contains("invoices"))
            #expect(response.finishReason == "tool_calls")
            #expect(response.usage.promptTokens == 5)  // the scripted server counts words
        }
    }

    @Test func aRateLimitIsRetriedAfterRetryAfter() async throws {
        try await Self.withScriptedLLM([
            .init(match: "weather", times: 1, status: 429, retryAfter: 0.2),
            .init(match: "weather", reply: .init(content: "sunny")),
        ]) { url, llm in
            let response = try await Self.client(url).complete(ChatRequest(messages: [.user("weather today?")]))
            #expect(response.message.content == "sunny")
            #expect(response.attempts == 2)
            #expect(await llm.requests == 2)
        }
    }

    @Test func aServerErrorIsRetried() async throws {
        try await Self.withScriptedLLM([
            .init(times: 1, status: 500), .init(reply: .init(content: "fine now")),
        ]) { url, llm in
            let response = try await Self.client(url).complete(ChatRequest(messages: [.user("hello")]))
            #expect(response.message.content == "fine now")
            #expect(await llm.requests == 2)
        }
    }

    @Test func aBadRequestIsNotRetriedAndSaysWhy() async throws {
        try await Self.withScriptedLLM([.init(status: 400)]) { url, llm in
            do {
                _ = try await Self.client(url).complete(ChatRequest(messages: [.user("hello")]))
                Issue.record("a 400 succeeded")
            } catch let error as LLMError {
                #expect(error.kind == .badRequest)
                #expect(!error.isRetryable)
                #expect(error.description.contains("scripted failure 400"))
            }
            #expect(await llm.requests == 1)
        }
    }

    @Test func aMalformedBodyIsAClearError() async throws {
        try await Self.withScriptedLLM([.init(rawBody: "this is not JSON")]) { url, _ in
            do {
                _ = try await Self.client(url).complete(ChatRequest(messages: [.user("hello")]))
                Issue.record("a malformed body was accepted")
            } catch let error as LLMError {
                #expect(error.kind == .malformedResponse)
                #expect(error.message.contains("not a chat completion: this is not JSON"))
            }
        }
    }

    @Test func aSlowProviderTimesOutAndIsRetried() async throws {
        try await Self.withScriptedLLM([.init(delayMs: 2_000, reply: .init(content: "late"))]) { url, llm in
            do {
                _ = try await Self.client(url, timeout: .milliseconds(300), retries: 1).complete(
                    ChatRequest(messages: [.user("hello")]))
                Issue.record("a slow answer came in time")
            } catch let error as LLMError {
                #expect(error.kind == .timeout)
                #expect(error.isRetryable)
            }
            #expect(await llm.requests == 2)
        }
    }

    @Test func aStreamDeliversTokensThenTheWholeAnswer() async throws {
        try await Self.withScriptedLLM([
            .init(times: 1, status: 429, retryAfter: 0.1),
            .init(reply: .init(content: "the audit found three open issues")),
        ]) { url, llm in
            var pieces: [String] = []
            var final: ChatResponse?
            for try await event in Self.client(url).stream(ChatRequest(messages: [.user("summarise")])) {
                switch event {
                case .delta(let piece): pieces.append(piece)
                case .completed(let response): final = response
                }
            }
            #expect(pieces.count == 6)  // one per word
            #expect(pieces.joined() == "the audit found three open issues")
            #expect(final?.message.content == "the audit found three open issues")
            #expect(final?.finishReason == "stop")
            #expect(final?.usage.completionTokens == 6)
            #expect(final?.attempts == 2)  // the 429 came before any token: retried
            #expect(await llm.requests == 2)
        }
    }

    @Test func streamedToolCallsArriveInPiecesAndAreAssembled() async throws {
        try await Self.withScriptedLLM([
            .init(
                reply: .init(toolCalls: [
                    .init(name: "get_kpis", arguments: ["area": "logistics"]),
                    .init(name: "list_incidents", arguments: ["area": "support"]),
                ]))
        ]) { url, _ in
            var final: ChatResponse?
            var deltas = 0
            for try await event in Self.client(url).stream(ChatRequest(messages: [.user("look it up")])) {
                switch event {
                case .delta: deltas += 1
                case .completed(let response): final = response
                }
            }
            let calls = try #require(final?.message.toolCalls)
            #expect(deltas == 0)
            #expect(final?.message.content == nil)
            #expect(final?.finishReason == "tool_calls")
            #expect(calls.map(\.function.name) == ["get_kpis", "list_incidents"])
            #expect(calls.map(\.function.arguments) == [#"{"area":"logistics"}"#, #"{"area":"support"}"#])
            #expect(calls.allSatisfy { !$0.id.isEmpty })
        }
    }

    @Test func theAPIKeyNeverAppearsInErrors() async throws {
        try await Self.withScriptedLLM([.init(status: 401)]) { url, _ in
            do {
                _ = try await Self.client(url, key: "test-key-do-not-print").complete(
                    ChatRequest(messages: [.user("hello")]))
            } catch let error as LLMError {
                #expect(error.kind == .unauthorized)
                #expect(!error.description.contains("test-key-do-not-print"))
            }
        }
    }
}
