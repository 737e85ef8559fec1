import BatonConfiguration
import BatonContracts
import BatonLLM
import BatonScriptedLLM
import BatonWorker
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
}
