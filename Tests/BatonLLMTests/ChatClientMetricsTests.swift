import BatonLLM
import BatonScriptedLLM
import Testing

/// Every HTTP attempt and every retry is counted per provider, not only the calls.
@Suite struct ChatClientMetricsTests {
    @Test func retriedAttemptsAreCountedByProvider() async throws {
        try await ScriptedLLM.withServer([
            .init(times: 3, status: 503), .init(reply: .init(content: "fine")),
        ]) { url, llm in
            let metrics = RecordingMetricsFactory()
            let gateway = ModelGateway(
                name: "primary", configuration: ProviderConfiguration(baseURL: url, model: "scripted", maxRetries: 4),
                environment: [:], metricsFactory: metrics)
            _ = try await gateway.complete(ChatRequest(messages: [.user("x")]))
            #expect(await llm.requests == 4)
            #expect(metrics.total("baton_llm_http_attempts_total", [("provider", "primary")]) == 4)
            #expect(
                metrics.total("baton_llm_retries_total", [("provider", "primary"), ("kind", "llm_server_error")]) == 3)
            #expect(metrics.total("baton_llm_requests_total", [("provider", "primary")]) == 1)
        }
    }

    @Test func aCallThatFailsAfterItsRetriesCountsEveryAttemptAndOneError() async throws {
        try await ScriptedLLM.withServer([.init(status: 503)]) { url, _ in
            let metrics = RecordingMetricsFactory()
            let client = ChatCompletionClient(
                provider: LLMProvider(
                    baseURL: url, model: "scripted", maxRetries: 2, initialBackoff: .milliseconds(1), name: "backup"),
                metricsFactory: metrics)
            await #expect(throws: LLMError.self) { try await client.complete(ChatRequest(messages: [.user("x")])) }
            #expect(metrics.total("baton_llm_http_attempts_total", [("provider", "backup")]) == 3)
            #expect(
                metrics.total("baton_llm_retries_total", [("provider", "backup"), ("kind", "llm_server_error")]) == 2)
        }
    }

    @Test func streamedAttemptsAreCountedToo() async throws {
        try await ScriptedLLM.withServer([
            .init(times: 1, status: 429, retryAfter: 0.05), .init(reply: .init(content: "a b")),
        ]) { url, _ in
            let metrics = RecordingMetricsFactory()
            let client = ChatCompletionClient(
                provider: LLMProvider(baseURL: url, model: "scripted", initialBackoff: .milliseconds(1)),
                metricsFactory: metrics)
            for try await _ in client.stream(ChatRequest(messages: [.user("x")])) {}
            #expect(metrics.total("baton_llm_http_attempts_total", [("provider", "default")]) == 2)
            #expect(
                metrics.total("baton_llm_retries_total", [("provider", "default"), ("kind", "llm_rate_limited")]) == 1)
        }
    }
}
