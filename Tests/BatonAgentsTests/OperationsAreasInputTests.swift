import BatonContracts
import BatonGraph
import BatonLLM
import BatonTestSupport
import Foundation
import Testing

@testable import BatonAgents

/// A model that asks for a long task with `areas` as given, then repeats the tool's answer.
/// `areas` comes from any API caller or a model's tool call: it is checked and bounded
/// (each area costs tool calls, a model call and a parallel branch).
@Suite struct OperationsAreasInputTests {
    @Test func areasAreCheckedBoundedAndCountedOnce() throws {
        #expect(try OperationsInput.areas(["Logistics", "logistics", "support"]) == ["logistics", "support"])
        #expect(try OperationsInput.areas(nil).isEmpty)
        #expect(throws: AgentInputError.self) { try OperationsInput.areas("logistics") }
        #expect(throws: AgentInputError.self) { try OperationsInput.areas(["logistics", 3]) }
        let many = JSONValue.array((0...OperationsInput.maxAreas).map { .string("area \($0)") })
        #expect(throws: AgentInputError.self) { try OperationsInput.areas(many) }
    }

    @Test func bothOperationsAgentsRefuseTooManyAreasBeforeAnyWork() async throws {
        let areas = JSONValue.array((0..<10_000).map { .string("area \($0)") })
        let run = AgentRun(
            workflowId: "wf-1", attempt: 1, input: ["request": "Why?", "areas": areas], checkpoint: nil)
        let resources = AgentResources(
            models: ["default": SpendingModel(usage: TokenUsage())], tasks: RecordingTasks())
        let log = RunLog()
        for agent: any Agent in [
            OperationsAnalysisAgent(resources: resources), ReviewedAnalysisAgent(resources: resources),
        ] {
            let error = await #expect(throws: AgentInputError.self) { _ = try await agent.run(run, hooks: log.hooks()) }
            #expect(error?.description.contains("at most 20") == true)
        }
        #expect(log.checkpoints.isEmpty)
    }
}
