import BatonAgents
import BatonLLM
import Testing

@Suite struct AgentRegistryTests {
    @Test func listedAgentsMustExistAndHaveWhatTheyNeed() {
        let bare = AgentRegistry.serving(["chain", "operations_analysis", "poet"], resources: AgentResources())
        #expect(bare.registry.names == ["chain"])
        #expect(
            bare.problems.contains(
                "agents: unknown agent 'poet'; this build has: chain, operations_analysis, reviewed_analysis"))
        #expect(
            bare.problems.contains(
                "agent 'operations_analysis' calls a model: configure at least one entry under 'providers'"))
    }

    @Test func anEmptyListServesEveryAgentThatCanRunAndSaysWhyOthersCannot() {
        let model = ChatCompletionClient(provider: LLMProvider(baseURL: "http://127.0.0.1:1", model: "m"))
        let serving = AgentRegistry.serving([], resources: AgentResources(models: ["default": model]))
        #expect(serving.problems.isEmpty)
        #expect(serving.registry.names == ["chain", "operations_analysis"])
        #expect(serving.skipped.count == 1)
        #expect(serving.skipped.first?.contains("reviewed_analysis") == true)
    }
}
