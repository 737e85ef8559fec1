import BatonContracts
import BatonGraph

/// A chain of `steps` nodes (default 5) that each append `{node, attempt}` to the
/// state and optionally sleep in place of an LLM call. Used by tests and benchmarks
/// (the WORKLOADS.md chain); it calls no model.
///
/// Input: `{"steps": 5, "sleep_ms": 0}`, both optional.
public struct ChainAgent: Agent {
    public struct StepRecord: Codable, Sendable, Hashable {
        public var node: String
        public var attempt: Int
    }

    public struct State: GraphState {
        public var steps: [StepRecord] = []
        public static let reducers: [String: Reducer] = ["steps": .append]
    }

    public let name = "chain"

    public init() {}

    public func run(_ run: AgentRun, hooks: GraphRunHooks) async throws -> AgentOutcome {
        let stepCount = Int(run.input["steps"]?.numberValue ?? 5)
        let sleepMilliseconds = Int(run.input["sleep_ms"]?.numberValue ?? 0)
        guard (1...1000).contains(stepCount) else { throw AgentInputError("'steps' must be between 1 and 1000") }
        guard (0...3_600_000).contains(sleepMilliseconds) else {
            throw AgentInputError("'sleep_ms' must be between 0 and 3600000")
        }
        var graph = StateGraph<State>()
        var previous = StateGraph<State>.start
        for index in 0..<stepCount {
            let node = "step_\(index)"
            graph.addNode(node) { state, context in
                if sleepMilliseconds > 0 { try await Task.sleep(for: .milliseconds(sleepMilliseconds)) }
                var state = state
                state.steps.append(StepRecord(node: context.node, attempt: context.attempt))
                return state
            }
            graph.addEdge(from: previous, to: node)
            previous = node
        }
        graph.addEdge(from: previous, to: StateGraph<State>.end)
        return try await graph.compile(stepLimit: stepCount).run(run, input: State(), hooks: hooks)
    }
}
