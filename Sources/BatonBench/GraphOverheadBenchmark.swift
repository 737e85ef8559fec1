import ArgumentParser
import BatonContracts
import BatonGraph
import Foundation

/// The runtime's own cost per super-step: state encoding, write computation and the
/// checkpoint, for a 5-node chain whose nodes do nothing, over a state of 20 fields.
/// Checkpoints go to an in-memory store, so this is the graph's overhead alone.
struct GraphOverheadBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph", abstract: "Overhead per super-step of the graph runtime (target: under 100 µs).")

    @Option(help: "Runs of the 5-node chain.")
    var runs = 2_000

    /// 20 fields of assorted types, as a realistic agent state.
    struct WideState: GraphState {
        var f01 = "customer-4711"
        var f02 = "Quarterly operational audit of the EMEA region"
        var f03 = 42
        var f04 = 3.14
        var f05 = true
        var f06: [String] = ["inventory", "billing", "support"]
        var f07: [String: String] = ["owner": "ops", "priority": "high"]
        var f08 = ""
        var f09 = 0
        var f10: [Int] = [1, 2, 3, 4, 5]
        var f11 = "draft"
        var f12 = 0.0
        var f13: [String] = []
        var f14 = "en"
        var f15 = 7
        var f16 = false
        var f17: [String: Int] = ["a": 1]
        var f18 = "notes"
        var f19 = 99
        var steps: [String] = []

        static let reducers: [String: Reducer] = ["steps": .append, "f13": .append, "f17": .merge]
    }

    func run() async throws {
        var graph = StateGraph<WideState>()
        var previous = StateGraph<WideState>.start
        for index in 0..<5 {
            let name = "node_\(index)"
            graph.addNode(name) { state, context in
                var state = state
                state.steps.append(context.node)
                state.f09 += 1
                return state
            }
            graph.addEdge(from: previous, to: name)
            previous = name
        }
        graph.addEdge(from: previous, to: StateGraph<WideState>.end)
        let compiled = try graph.compile()
        let store = InMemoryCheckpointStore()
        // Warm up, then measure.
        for _ in 0..<50 { _ = try await compiled.run(input: WideState(), hooks: .saving(to: store, thread: "warm")) }
        let clock = ContinuousClock()
        let elapsed = try await clock.measure {
            for run in 0..<runs {
                _ = try await compiled.run(input: WideState(), hooks: .saving(to: store, thread: "run-\(run % 16)"))
            }
        }
        let steps = Double(runs * 5)
        let microseconds = Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
        let perStep = microseconds / steps
        print("graph overhead: \(runs) runs × 5 super-steps, 20-field state, in-memory checkpoints")
        print(String(format: "  %.1f µs per super-step (target < 100 µs) — %.0f super-steps/s", perStep, 1e6 / perStep))
    }
}
