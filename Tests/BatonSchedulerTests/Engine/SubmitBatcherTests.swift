import BatonContracts
import Testing

@testable import BatonScheduler

@Suite struct SubmitBatcherTests {
    /// A burst of concurrent submissions, each id three times: every id is created
    /// once and found twice, and every workflow is dispatched once, however the
    /// requests fell into batches.
    @Test func aBurstGetsTheOutcomesOfSubmissionsOneByOne() async throws {
        let h = EngineHarness()
        let batcher = SubmitBatcher(engine: h.engine, maximumBatch: 8)
        let ids = (0..<20).map { "x\($0)" }
        let outcomes = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
            for id in ids + ids + ids {
                group.addTask {
                    switch try await batcher.submit(
                        SubmitWorkflowRequest(id: id, agent: "chain", input: ["id": .string(id)]))
                    {
                    case .created(let view, _): (view.id, true)
                    case .existing(let view): (view.id, false)
                    default: (id, false)
                    }
                }
            }
            return try await group.reduce(into: [(String, Bool)]()) { $0.append($1) }
        }
        #expect(outcomes.count == 60)
        for id in ids {
            #expect(outcomes.filter { $0.0 == id && $0.1 }.count == 1, "\(id) created once")
            #expect(outcomes.filter { $0.0 == id && !$0.1 }.count == 2, "\(id) found twice")
            #expect(h.history(id) == ["submitted applied", "dispatched applied"])
        }
        #expect(try h.takeRunCommands().map(\.workflowId).sorted() == ids.sorted())
    }
}
