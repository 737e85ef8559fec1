import BatonConfiguration
import BatonContracts
import BatonLLM
import BatonScriptedLLM
import BatonWorker
import Foundation
import Testing

@Suite struct ModelGatewayTests {
    @Test func requestsBeyondTheProviderConcurrencyWaitAndAnswersArePriced() async throws {
        try await ChatCompletionClientTests.withScriptedLLM([.init(delayMs: 150, reply: .init(content: "one two"))]) {
            url, llm in
            let gateway = ModelGateway(
                name: "default",
                configuration: ProviderConfiguration(
                    baseURL: url, model: "scripted", concurrency: 2, costPer1KPromptTokens: 1,
                    costPer1KCompletionTokens: 2),
                environment: [:])
            let costs = try await withThrowingTaskGroup(of: Double.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        try await gateway.complete(ChatRequest(messages: [.user("a b c")])).usage.cost
                    }
                }
                return try await group.reduce(into: [Double]()) { $0.append($1) }
            }
            #expect(costs.count == 6)
            #expect(costs.allSatisfy { abs($0 - 0.007) < 1e-9 })  // 3 prompt + 2 completion tokens
            #expect(await gateway.peakInFlight == 2)
            #expect(await llm.requests == 6)
        }
    }

    @Test func providerProblemsAreReportedAtStart() throws {
        let yaml = """
            broker_url: amqp://guest:guest@127.0.0.1:5672
            providers:
              default:
                base_url: api.example.com
                model: gpt-4o-mini
                api_key_env: BATON_TEST_MISSING_KEY
                concurrency: 0
            """
        let configuration = try ConfigurationLoader.decode(WorkerConfiguration.self, yaml: yaml, source: "worker.yaml")
        do {
            try configuration.validate(source: "worker.yaml", environment: [:])
            Issue.record("a bad provider passed validation")
        } catch {
            #expect(
                error.problems.contains(
                    "providers.default.base_url must start with http:// or https://, got 'api.example.com'"))
            #expect(
                error.problems.contains(
                    "providers.default.api_key_env names BATON_TEST_MISSING_KEY, which is not set in the environment"))
            #expect(error.problems.contains("providers.default.concurrency must be between 1 and 1000"))
        }
    }
}

@Suite struct ProviderConfigurationTests {
    @Test func streamingIsOnUnlessTheProviderSaysOtherwise() throws {
        let streaming = try ConfigurationLoader.decode(
            ProviderConfiguration.self, yaml: "base_url: http://127.0.0.1:1\nmodel: m\n", source: "worker.yaml")
        #expect(streaming.stream)
        let whole = try ConfigurationLoader.decode(
            ProviderConfiguration.self, yaml: "base_url: http://127.0.0.1:1\nmodel: m\nstream: false\n",
            source: "worker.yaml")
        #expect(!whole.stream)
        #expect(!ModelGateway(name: "default", configuration: whole, environment: [:]).streamsByDefault)
    }

    @Test func aKeyWrittenInTheFileIsUsedButNeverPrinted() throws {
        let yaml = """
            base_url: http://127.0.0.1:1
            model: m
            api_key: sk-test-do-not-print
            connect_timeout_seconds: 2
            """
        let provider = try ConfigurationLoader.decode(ProviderConfiguration.self, yaml: yaml, source: "worker.yaml")
        #expect(provider.problems(name: "default", environment: [:]).isEmpty)
        #expect(provider.provider(environment: [:]).apiKey == "sk-test-do-not-print")
        #expect(provider.provider(environment: [:]).connectTimeout == .seconds(2))
        #expect(!"\(provider)".contains("sk-test"))
        #expect(!String(reflecting: ["default": provider]).contains("sk-test"))
    }

    @Test func aKeyInAMountedSecretFileIsReadAndAMissingOneReportedAtStart() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("key-\(UUID().uuidString)")
        try Data("sk-from-a-secret\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let yaml = "base_url: http://127.0.0.1:1\nmodel: m\napi_key_file: \(file.path)\n"
        let provider = try ConfigurationLoader.decode(ProviderConfiguration.self, yaml: yaml, source: "worker.yaml")
        #expect(provider.problems(name: "default", environment: [:]).isEmpty)
        #expect(provider.provider(environment: [:]).apiKey == "sk-from-a-secret")
        var missing = provider
        missing.apiKeyFile = "/nonexistent/key"
        missing.apiKey = "sk-inline"
        #expect(
            missing.problems(name: "default", environment: [:]) == [
                "providers.default: give one of api_key_env, api_key_file and api_key",
                "providers.default.api_key_file '/nonexistent/key' cannot be read or is empty; mount the secret there",
            ])
    }
}

@Suite struct ModelGatewayCancellationTests {
    @Test func aCallerCancelledWhileWaitingForASlotLeavesAtOnce() async throws {
        try await ChatCompletionClientTests.withScriptedLLM([.init(delayMs: 60_000, reply: .init(content: "late"))]) {
            url, llm in
            let gateway = ModelGateway(
                name: "default",
                configuration: ProviderConfiguration(
                    baseURL: url, model: "scripted", timeoutSeconds: 60, maxRetries: 0, concurrency: 1),
                environment: [:])
            let clock = ContinuousClock()
            let started = clock.now
            let holder = Task { try await gateway.complete(ChatRequest(messages: [.user("first")])) }
            while await llm.requests == 0 { try await Task.sleep(for: .milliseconds(20)) }
            let waiter = Task { try await gateway.complete(ChatRequest(messages: [.user("second")])) }
            try await Task.sleep(for: .milliseconds(300))
            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
            holder.cancel()
            await #expect(throws: CancellationError.self) { try await holder.value }
            #expect(started.duration(to: clock.now) < .seconds(30), "the reply comes after 60 s")
            #expect(await llm.requests == 1)
        }
    }
}

@Suite struct ProviderLimitsConfigurationTests {
    @Test func theLimitsHaveDefaultsAndReachTheClient() throws {
        let provider = try ConfigurationLoader.decode(
            ProviderConfiguration.self, yaml: "base_url: http://127.0.0.1:1\nmodel: m\n", source: "worker.yaml")
        #expect(provider.maxRetryAfterSeconds == 60)
        #expect(provider.maxResponseBytes == 8 * 1024 * 1024)
        let tuned = try ConfigurationLoader.decode(
            ProviderConfiguration.self,
            yaml: "base_url: http://127.0.0.1:1\nmodel: m\nmax_retry_after_seconds: 5\nmax_response_bytes: 65536\n",
            source: "worker.yaml")
        let client = tuned.provider(name: "fast", environment: [:])
        #expect(client.maxRetryAfter == .seconds(5))
        #expect(client.maxResponseBytes == 65536)
        #expect(client.name == "fast")
    }

    @Test func badLimitsAreReportedTogether() throws {
        let yaml = """
            base_url: http://127.0.0.1:1
            model: m
            timeout_seconds: 1e300
            max_retry_after_seconds: -1
            max_response_bytes: 10
            """
        let provider = try ConfigurationLoader.decode(ProviderConfiguration.self, yaml: yaml, source: "worker.yaml")
        let problems = provider.problems(name: "default", environment: [:])
        #expect(problems.contains { $0.hasPrefix("providers.default.timeout_seconds must be positive and at most") })
        #expect(problems.contains { $0.hasPrefix("providers.default.max_retry_after_seconds must be between 0 and") })
        #expect(problems.contains { $0.hasPrefix("providers.default.max_response_bytes must be between 1024 and") })
        // Even unvalidated, the conversion saturates instead of trapping.
        #expect(provider.provider(environment: [:]).timeout == .seconds(86_400))
    }
}
