import BatonAgents
import BatonContracts
import BatonGraph
import BatonLLM
import BatonScriptedLLM
import Synchronization
import Testing

/// Issue #13: an agent's model call streams its text to the run's viewers. A stream cut
/// after it showed text begins again (the viewers are told to drop what they saw)
/// instead of failing the attempt, and the answer journaled is the whole one.
@Suite struct StreamedModelCallTests {
    struct Answer: GraphState {
        var text = ""
        static let reducers: [String: Reducer] = [:]
    }

    static func graph(model: any ChatModel) throws -> CompiledGraph<Answer> {
        var graph = StateGraph<Answer>()
        graph.addNode("write") { state, context in
            let response = try await context.complete(ChatRequest(messages: [.user("write it")]), using: model)
            var state = state
            state.text = response.text ?? ""
            return state
        }
        graph.addEdge(from: StateGraph<Answer>.start, to: "write")
        graph.addEdge(from: "write", to: StateGraph<Answer>.end)
        return try graph.compile()
    }

    @Test func aCutStreamBeginsAgainAndTheViewersAreToldToDropItsText() async throws {
        try await ScriptedLLM.withServer([
            .init(match: "write", times: 1, reply: .init(content: "a b c d"), streamCutAfter: 2),
            .init(match: "write", reply: .init(content: "a b c d")),
        ]) { url, llm in
            let gateway = ModelGateway(
                name: "default",
                configuration: ProviderConfiguration(
                    baseURL: url, model: "scripted", maxRetries: 0, costPer1KCompletionTokens: 1000),
                environment: [:])
            let shown = Mutex<[String]>([])
            let hooks = GraphRunHooks(event: { event in
                guard case .text(_, let node, let call, let text, let restarted) = event else { return }
                shown.withLock { $0.append("\(node) \(call) \(restarted ? "restarted " : "")\(text)") }
            })
            let outcome = try await Self.graph(model: gateway).run(input: Answer(), hooks: hooks)
            guard case .completed(let state) = outcome else {
                Issue.record("not completed: \(outcome)")
                return
            }
            #expect(state.text == "a b c d")
            #expect(
                shown.withLock { $0 } == [
                    "write llm#0 a", "write llm#0  b", "write llm#0 restarted a", "write llm#0  b", "write llm#0  c",
                    "write llm#0  d",
                ])
            #expect(await llm.requests == 2)
        }
    }

    /// A provider configured `stream: false` is asked without streaming: no text is shown.
    @Test func aProviderThatDoesNotStreamIsAskedWholeAnswers() async throws {
        try await ScriptedLLM.withServer([
            .init(match: "write", reply: .init(content: "a b c d"), streamCutAfter: 1)
        ]) { url, llm in
            let gateway = ModelGateway(
                name: "default", configuration: ProviderConfiguration(baseURL: url, model: "scripted", stream: false),
                environment: [:])
            let shown = Mutex(0)
            let hooks = GraphRunHooks(event: { event in
                if case .text = event { shown.withLock { $0 += 1 } }
            })
            let outcome = try await Self.graph(model: gateway).run(input: Answer(), hooks: hooks)
            guard case .completed(let state) = outcome else {
                Issue.record("not completed: \(outcome)")
                return
            }
            #expect(state.text == "a b c d")  // a cut stream would have failed: it was not streamed
            #expect(shown.withLock { $0 } == 0)
            #expect(await llm.requests == 1)
        }
    }

    @Test func aStreamCutTooOftenFailsWithTheStreamsError() async throws {
        try await ScriptedLLM.withServer([
            .init(match: "write", reply: .init(content: "a b c d"), streamCutAfter: 1)
        ]) { url, llm in
            let model = ChatCompletionClient(provider: LLMProvider(baseURL: url, model: "scripted", maxRetries: 0))
            await #expect {
                _ = try await Self.graph(model: model).run(input: Answer())
            } throws: { error in
                (error as? LLMError)?.kind == .incompleteStream
            }
            #expect(await llm.requests == 3)  // the first try and two beginnings again
        }
    }
}
