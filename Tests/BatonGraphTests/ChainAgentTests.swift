import BatonAgents
import BatonContracts
import BatonGraph
import Testing

@Suite struct ChainAgentTests {
    func output(_ outcome: AgentOutcome) -> JSONValue? {
        if case .completed(let value) = outcome { return value }
        return nil
    }

    @Test func appendsOneRecordPerStepInOrder() async throws {
        let outcome = try await ChainAgent().run(
            AgentRun(workflowId: "w", attempt: 1, input: ["steps": 5], checkpoint: nil), hooks: GraphRunHooks())
        let nodes = output(outcome)?["steps"]?.arrayValue?.compactMap { $0["node"]?.stringValue }
        #expect(nodes == ["step_0", "step_1", "step_2", "step_3", "step_4"])
    }

    @Test func resumesWithTheAttemptThatRanEachStep() async throws {
        let checkpoint = Checkpoint(
            step: 2, nextNodes: ["step_2"],
            state: ["steps": [["node": "step_0", "attempt": 1], ["node": "step_1", "attempt": 1]]])
        let outcome = try await ChainAgent().run(
            AgentRun(workflowId: "w", attempt: 2, input: [:], checkpoint: checkpoint), hooks: GraphRunHooks())
        let attempts = output(outcome)?["steps"]?.arrayValue?.compactMap { $0["attempt"]?.numberValue }
        #expect(attempts == [1, 1, 2, 2, 2])
    }

    @Test func payloadBytesGiveEachRecordAStringOfThatSize() async throws {
        let outcome = try await ChainAgent().run(
            AgentRun(workflowId: "w", attempt: 1, input: ["steps": 3, "payload_bytes": 1024], checkpoint: nil),
            hooks: GraphRunHooks())
        let payloads = output(outcome)?["steps"]?.arrayValue?.compactMap { $0["payload"]?.stringValue } ?? []
        #expect(payloads.map(\.utf8.count) == [1024, 1024, 1024])
        #expect(Set(payloads).count == 3)
        let plain = try await ChainAgent().run(
            AgentRun(workflowId: "w", attempt: 1, input: ["steps": 1], checkpoint: nil), hooks: GraphRunHooks())
        #expect(output(plain)?["steps"]?.arrayValue?.first?["payload"] == nil)
        await #expect(throws: AgentInputError.self) {
            _ = try await ChainAgent().run(
                AgentRun(workflowId: "w", attempt: 1, input: ["steps": 1, "payload_bytes": -1], checkpoint: nil),
                hooks: GraphRunHooks())
        }
    }

    @Test func rejectsAnAbsurdStepCount() async {
        await #expect(throws: AgentInputError.self) {
            _ = try await ChainAgent().run(
                AgentRun(workflowId: "w", attempt: 1, input: ["steps": 0], checkpoint: nil), hooks: GraphRunHooks())
        }
    }
}
