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

@Suite struct AgentInputSchemaTests {
    static let model = ChatCompletionClient(provider: LLMProvider(baseURL: "http://127.0.0.1:1", model: "m"))
    static let agents = AgentRegistry.builtIn(resources: AgentResources(models: ["default": model]))

    @Test func everyBuiltInAgentDescribesItselfWithACheckableSchema() {
        #expect(Self.agents.descriptors.map(\.name) == ["chain", "operations_analysis", "reviewed_analysis"])
        for name in Self.agents.names {
            let agent = try? #require(Self.agents.agent(named: name))
            #expect(agent?.summary.isEmpty == false, "\(name)")
            #expect(agent?.inputSchema.unsupportedKeywords == [], "\(name)")
        }
    }

    /// The inputs the documentation and the tools use fit; the mistakes people make do not.
    @Test func theDocumentedInputsFitAndTyposDoNot() throws {
        let chain = try #require(Self.agents.agent(named: "chain")).inputSchema
        #expect(chain.violations(of: [:]).isEmpty)
        #expect(chain.violations(of: ["steps": 5, "sleep_ms": 0, "ask_at": 2, "payload_bytes": 1024]).isEmpty)
        #expect(chain.violations(of: ["steps": 0]).map(\.path) == ["/steps"])
        #expect(chain.violations(of: ["step": 3]).map(\.path) == ["/step"])
        let operations = try #require(Self.agents.agent(named: "operations_analysis")).inputSchema
        #expect(
            operations.violations(of: [
                "request": "Why are deliveries late?", "areas": ["logistics"], "provider": "default",
            ])
            .isEmpty)
        #expect(operations.violations(of: ["areas": ["logistics"]]).map(\.path) == ["/request"])
        #expect(operations.violations(of: ["request": "x", "areas": "logistics"]).map(\.path) == ["/areas"])
    }
}
