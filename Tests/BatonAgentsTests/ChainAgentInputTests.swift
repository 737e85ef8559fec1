import BatonAgents
import BatonContracts
import BatonGraph
import Foundation
import Testing

/// Issue #10 (0, 2): the chain agent's input is outside data; it may neither trap the
/// worker nor choose where the worker writes.
@Suite struct ChainAgentInputTests {
    func run(_ input: JSONValue, on agent: ChainAgent = ChainAgent(), id: String = "w") async throws -> AgentOutcome {
        try await agent.run(AgentRun(workflowId: id, attempt: 1, input: input, checkpoint: nil), hooks: GraphRunHooks())
    }

    /// `{"steps": 1e20}` killed every worker it reached (`Int(Double)` traps).
    @Test(arguments: [1e20, -1e20, 2.5, 1e308, -0.5] as [Double])
    func numbersOutOfRangeAreInputErrors(_ steps: Double) async {
        await #expect(throws: AgentInputError.self) { _ = try await run(["steps": .number(steps)]) }
        await #expect(throws: AgentInputError.self) { _ = try await run(["steps": 1, "sleep_ms": .number(steps)]) }
        await #expect(throws: AgentInputError.self) { _ = try await run(["steps": 1, "ask_at": .number(steps)]) }
        await #expect(throws: AgentInputError.self) {
            _ = try await run(["steps": 1, "payload_bytes": .number(steps)])
        }
    }

    /// `payload_bytes` (the W6 workload): each step's record carries that many bytes,
    /// different in every step; more than `maximumPayloadBytes` is an input error.
    @Test func eachStepAddsAPayloadOfTheSizeAsked() async throws {
        guard case .completed(let output) = try await run(["steps": 3, "payload_bytes": 1024]) else {
            Issue.record("not completed")
            return
        }
        let payloads = output["steps"]?.arrayValue?.compactMap { $0["payload"]?.stringValue } ?? []
        #expect(payloads.map(\.utf8.count) == [1024, 1024, 1024])
        #expect(Set(payloads).count == 3)
        guard case .completed(let plain) = try await run(["steps": 1]) else { return }
        #expect(plain["steps"]?.arrayValue?.first?["payload"] == nil)
        await #expect(throws: AgentInputError.self) {
            _ = try await run(["steps": 1, "payload_bytes": .number(Double(ChainAgent.maximumPayloadBytes + 1))])
        }
    }

    /// `exec_log` once appended to any path the caller named (`/root/.ssh/authorized_keys`).
    @Test func theExecutionLogIsOffUnlessTheWorkerEnablesIt() async throws {
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("baton-\(UUID().uuidString)").path
        await #expect(throws: AgentInputError.self) { _ = try await run(["steps": 1, "exec_log": .string(target)]) }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func theExecutionLogStaysInTheHooksFolder() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-hooks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let agent = ChainAgent(testHooksFolder: folder.path)
        let outside = folder.deletingLastPathComponent().appendingPathComponent("escaped-\(UUID().uuidString)").path
        for name in [outside, "../escaped", "sub/dir", ".hidden", ""] {
            await #expect(throws: AgentInputError.self, "\(name)") {
                _ = try await run(["steps": 1, "exec_log": .string(name)], on: agent)
            }
        }
        #expect(!FileManager.default.fileExists(atPath: outside))
        _ = try await run(["steps": 2, "exec_log": "run.log"], on: agent, id: "wf-1")
        let lines = try String(contentsOf: folder.appendingPathComponent("run.log"), encoding: .utf8)
        #expect(lines == "wf-1 step_0 1\nwf-1 step_1 1\n")
    }
}
