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
        _ url: String, timeout: Duration = .seconds(30), retries: Int = 3, key: String? = nil
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
            let metrics = RecordingMetricsFactory()
            let client = ChatCompletionClient(
                provider: LLMProvider(
                    baseURL: url, model: "scripted", timeout: .milliseconds(300), maxRetries: 1,
                    initialBackoff: .milliseconds(20)),
                metricsFactory: metrics)
            do {
                _ = try await client.complete(ChatRequest(messages: [.user("hello")]))
                Issue.record("a slow answer came in time")
            } catch let error as LLMError {
                #expect(error.kind == .timeout)
                #expect(error.isRetryable)
            }
            // Counted by the client: on a busy machine the retry may time out before the server reads it.
            #expect(metrics.total("baton_llm_http_attempts_total", [("provider", "default")]) == 2)
            #expect(await llm.requests >= 1)
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

/// What the plain (unstreamed) path does with answers that are cut, huge, odd or slow.
@Suite struct ChatCompletionClientLimitTests {
    typealias Rule = LLMScript.Rule

    @Test func anAnswerCutByTheTokenLimitIsTruncatedUnlessTheCallerAcceptsIt() async throws {
        try await ScriptedLLM.withServer([Rule(reply: .init(content: "{\"items\": [1, 2"), finishReason: "length")]) {
            url, llm in
            let client = ChatCompletionClientTests.client(url)
            do {
                _ = try await client.complete(ChatRequest(messages: [.user("list them")]))
                Issue.record("a truncated answer was taken as complete")
            } catch let error as LLMError {
                #expect(error.kind == .truncated)
                #expect(!error.isRetryable)
                #expect(error.message.contains("output token limit"))
            }
            #expect(await llm.requests == 1)
            let accepted = try await client.complete(
                ChatRequest(messages: [.user("list them")], acceptsTruncatedAnswer: true))
            #expect(accepted.finishReason == "length")
        }
    }

    @Test func aBodyLargerThanMaxResponseBytesIsAnErrorOfItsOwnKind() async throws {
        try await ScriptedLLM.withServer([Rule(reply: .init(content: "word "), contentRepeat: 40_000)]) { url, llm in
            let client = ChatCompletionClient(
                provider: LLMProvider(baseURL: url, model: "scripted", maxRetries: 2, maxResponseBytes: 64 * 1024))
            do {
                _ = try await client.complete(ChatRequest(messages: [.user("everything")]))
                Issue.record("a 200 kB answer passed a 64 KiB limit")
            } catch let error as LLMError {
                #expect(error.kind == .responseTooLarge)
                #expect(!error.isRetryable)
                #expect(error.message.contains("max_response_bytes (65536 bytes)"))
            }
            #expect(await llm.requests == 1)
        }
    }

    @Test func absurdUsageCountsAndIndexesDoNotTrap() async throws {
        let body = """
            {"choices": [{"message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
             "usage": {"prompt_tokens": 1e300, "completion_tokens": -5.5}}
            """
        try await ScriptedLLM.withServer([Rule(rawBody: body)]) { url, _ in
            let response = try await ChatCompletionClientTests.client(url).complete(
                ChatRequest(messages: [.user("x")]))
            #expect(response.text == "ok")
            #expect(response.usage.promptTokens == 1_000_000_000)
            #expect(response.usage.completionTokens == 0)
        }
    }

    @Test func cancellingTheTaskAbortsARequestAlreadySent() async throws {
        try await ScriptedLLM.withServer([Rule(delayMs: 60_000, reply: .init(content: "far too late"))]) { url, llm in
            let client = ChatCompletionClientTests.client(url, timeout: .seconds(60))
            let clock = ContinuousClock()
            let started = clock.now
            let call = Task { try await client.complete(ChatRequest(messages: [.user("x")])) }
            while await llm.requests == 0 { try await Task.sleep(for: .milliseconds(20)) }
            try await Task.sleep(for: .milliseconds(300))
            call.cancel()
            let result = await call.result
            #expect(started.duration(to: clock.now) < .seconds(30), "the reply comes after 60 s")
            #expect(throws: CancellationError.self) { try result.get() }
            #expect(await llm.requests == 1)
        }
    }

    @Test func cancellingDuringTheWaitBeforeARetryStopsWithoutRetrying() async throws {
        try await ScriptedLLM.withServer([Rule(status: 503, retryAfter: 30)]) { url, llm in
            let client = ChatCompletionClient(
                provider: LLMProvider(baseURL: url, model: "scripted", maxRetries: 3, maxRetryAfter: .seconds(60)))
            let call = Task { try await client.complete(ChatRequest(messages: [.user("x")])) }
            while await llm.requests == 0 { try await Task.sleep(for: .milliseconds(20)) }
            try await Task.sleep(for: .milliseconds(300))
            call.cancel()
            // Was an LLMError of kind network, which the workflow retried as a model failure.
            await #expect(throws: CancellationError.self) { try await call.value }
            #expect(await llm.requests == 1)
        }
    }
}
