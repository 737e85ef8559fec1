import BatonAgents
import BatonContracts
import BatonGraph
import Foundation
import Synchronization
import Testing

/// A workflow that asks a person: the worker is freed, the question waits in the
/// database, and the answer resumes the graph on a worker without repeating its calls.
@Suite struct HumanInTheLoopTests {
    struct Review: GraphState {
        var draft = ""
        var decision = ""
    }

    final class Counter: Sendable {
        let value = Mutex(0)
        func increment() { value.withLock { $0 += 1 } }
        var count: Int { value.withLock { $0 } }
    }

    /// draft (a journaled "model call") → approve (asks) → END.
    struct ReviewAgent: Agent {
        let name = "review-test"
        let draftCalls: Counter

        func run(_ run: AgentRun, hooks: GraphRunHooks) async throws -> AgentOutcome {
            var graph = StateGraph<Review>()
            graph.addNode("approve") { state, context in
                let draft = try await context.call("draft") {
                    draftCalls.increment()
                    return "quarterly report"
                }
                let answer = try await context.interrupt(
                    InterruptRequest(
                        title: "Review", question: "Publish the \(draft)?",
                        choices: [.init(id: "yes", label: "Publish"), .init(id: "no", label: "Reject")]))
                var state = state
                state.draft = draft
                state.decision = answer.choice ?? "none"
                return state
            }
            graph.addEdge(from: StateGraph<Review>.start, to: "approve")
            graph.addEdge(from: "approve", to: StateGraph<Review>.end)
            return try await graph.compile().run(run, input: Review(), hooks: hooks)
        }
    }

    @Test func anAnswerResumesTheGraphWithoutRepeatingItsCalls() async throws {
        let draftCalls = Counter()
        try await Stack.run(agents: [ReviewAgent(draftCalls: draftCalls)]) { stack in
            let id = try await stack.submit(SubmitWorkflowRequest(agent: "review-test")).view.id
            _ = try await Stack.waitForCount(
                stack.databaseURL,
                "SELECT count(*) AS n FROM workflows WHERE status = 'awaiting_input' AND id = '\(id)'",
                atLeast: 1)
            let waiting = try await stack.workflow(id)
            #expect(waiting.interrupt?["question"] == "Publish the quarterly report?")
            #expect(waiting.interrupt?["choices"]?.arrayValue?.count == 2)

            // An answer that does not fit the question is refused and changes nothing.
            let typo = try await stack.post("/v1/workflows/\(id)/input", json: #"{"answer": {"choice": "yse"}}"#)
            #expect(typo.status == 400)
            #expect(
                String(decoding: typo.body, as: UTF8.self).contains("'yse' is not one of the choices offered: yes, no"))
            #expect(try await stack.workflow(id).status == .awaitingInput)

            let response = try await stack.post("/v1/workflows/\(id)/input", json: #"{"answer": {"choice": "yes"}}"#)
            #expect(response.status == 200)
            let done = try await stack.waitUntilFinished(id)
            #expect(done.status == .completed)
            #expect(done.attempt == 2)
            #expect(done.result?["decision"] == "yes")
            #expect(done.result?["draft"] == "quarterly report")
            #expect(draftCalls.count == 1)  // the model call before the question ran once
        }
    }
}
