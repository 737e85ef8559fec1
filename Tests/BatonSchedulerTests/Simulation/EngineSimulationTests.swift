import Foundation
import Testing

@testable import BatonScheduler

/// The production engine under the seeded simulation. CI runs a bounded number of
/// seeds; `make simulate` many more (BATON_SIM_SEEDS, BATON_SIM_STEPS), and
/// BATON_SIM_SEED replays one.
@Suite struct EngineSimulationTests {
    static let environment = ProcessInfo.processInfo.environment
    static let seeds: [UInt64] = {
        if let one = environment["BATON_SIM_SEED"].flatMap(UInt64.init) { return [one] }
        let count = environment["BATON_SIM_SEEDS"].flatMap(UInt64.init) ?? 24
        let first = environment["BATON_SIM_FIRST_SEED"].flatMap(UInt64.init) ?? 1
        return Array(first..<(first + count))
    }()
    static let steps = environment["BATON_SIM_STEPS"].flatMap(Int.init) ?? 1_500

    @Test func safetyHoldsUnderEveryFault() async throws {
        var inputs = 0
        var workflows = 0
        var refused = 0
        for seed in Self.seeds {
            let simulation = EngineSimulation(seed: seed, mode: .safety)
            try await simulation.run(steps: Self.steps)
            inputs += simulation.inputsApplied
            workflows += simulation.repository.snapshot.workflows.count
            refused += simulation.refusedCheckpoints
        }
        print(
            "engine simulation (safety): \(Self.seeds.count) seeds × \(Self.steps) steps, 3 replicas, \(workflows) workflows, \(inputs) inputs applied, \(refused) checkpoint deltas refused"
        )
    }

    @Test func everyWorkflowEndsOnceFaultsStop() async throws {
        var inputs = 0
        var children = 0
        for seed in Self.seeds {
            let simulation = EngineSimulation(seed: seed, mode: .liveness)
            simulation.faultPhase = Self.steps / 2
            try await simulation.run(steps: Self.steps)
            inputs += simulation.inputsApplied
            children += simulation.repository.snapshot.workflows.values.filter { $0.parentId != nil }.count
        }
        print(
            "engine simulation (liveness): \(Self.seeds.count) seeds × \(Self.steps) steps, \(children) child workflows, \(inputs) inputs applied"
        )
    }

    @Test func theSameSeedGivesTheSameRun() async throws {
        func digest(_ seed: UInt64) async throws -> [String] {
            let simulation = EngineSimulation(seed: seed, mode: .safety)
            try await simulation.run(steps: 800)
            return simulation.repository.snapshot.history.map { "\($0.workflowId) \($0.type) \($0.outcome)" }
        }
        let first = try await digest(7)
        #expect(try await digest(7) == first)
        #expect(try await digest(8) != first)
    }
}
