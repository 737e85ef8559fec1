import Foundation
import Testing

/// Runs the seeded simulation. CI runs a bounded number of seeds; `make simulate`
/// runs many more (BATON_SIM_SEEDS, BATON_SIM_STEPS), and BATON_SIM_SEED replays one.
@Suite struct WorkflowSimulationTests {
    static let environment = ProcessInfo.processInfo.environment
    static let seeds: [UInt64] = {
        if let one = environment["BATON_SIM_SEED"].flatMap(UInt64.init) { return [one] }
        let count = environment["BATON_SIM_SEEDS"].flatMap(UInt64.init) ?? 60
        let first = environment["BATON_SIM_FIRST_SEED"].flatMap(UInt64.init) ?? 1
        return Array(first..<(first + count))
    }()
    static let steps = environment["BATON_SIM_STEPS"].flatMap(Int.init) ?? 1_500

    @Test func safetyHoldsUnderEveryFault() throws {
        var events = 0
        for seed in Self.seeds {
            var simulation = WorkflowSimulation(seed: seed, mode: .safety)
            try simulation.run(steps: Self.steps)
            events += simulation.eventsApplied
        }
        print("simulation (safety): \(Self.seeds.count) seeds × \(Self.steps) steps, \(events) events applied")
    }

    @Test func everyWorkflowFinishesOnceFaultsStop() throws {
        var events = 0
        for seed in Self.seeds {
            var simulation = WorkflowSimulation(seed: seed, mode: .liveness)
            simulation.faultPhase = Self.steps / 2
            try simulation.run(steps: Self.steps)
            events += simulation.eventsApplied
        }
        print("simulation (liveness): \(Self.seeds.count) seeds × \(Self.steps) steps, \(events) events applied")
    }

    @Test func theSameSeedGivesTheSameRun() throws {
        var first = WorkflowSimulation(seed: 42, mode: .safety)
        var second = WorkflowSimulation(seed: 42, mode: .safety)
        try first.run(steps: 2_000)
        try second.run(steps: 2_000)
        #expect(first.trace == second.trace)
        #expect(first.step == second.step)
        var other = WorkflowSimulation(seed: 43, mode: .safety)
        try other.run(steps: 2_000)
        #expect(other.trace != first.trace)
    }
}
