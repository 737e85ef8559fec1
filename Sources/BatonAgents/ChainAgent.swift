import BatonContracts
import BatonGraph
import Foundation

/// A chain of `steps` nodes (default 5) that each append `{node, attempt}` to the
/// state and optionally sleep in place of an LLM call. Used by tests and benchmarks
/// (the WORKLOADS.md chain); it calls no model.
///
/// Input: `{"steps": 5, "sleep_ms": 0, "exec_log": "/path", "ask_at": 2}`, all optional.
/// With `exec_log`, every node execution appends, as it starts, one line
/// `workflow node attempt` to that file (one `O_APPEND` write), so a benchmark can count
/// steps that ran more than once. With `ask_at`, that step asks a person to go on
/// (a workflow waiting for input, for the footprint benchmark).
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
        let executionLog = run.input["exec_log"]?.stringValue
        let askAt = run.input["ask_at"]?.numberValue.map { Int($0) }
        guard (1...1000).contains(stepCount) else { throw AgentInputError("'steps' must be between 1 and 1000") }
        guard (0...3_600_000).contains(sleepMilliseconds) else {
            throw AgentInputError("'sleep_ms' must be between 0 and 3600000")
        }
        var graph = StateGraph<State>()
        var previous = StateGraph<State>.start
        for index in 0..<stepCount {
            let node = "step_\(index)"
            graph.addNode(node) { state, context in
                // Logged as the node starts, so a run cut short by a crash counts too.
                if let executionLog {
                    Self.append("\(run.workflowId) \(context.node) \(context.attempt)\n", to: executionLog)
                }
                if sleepMilliseconds > 0 { try await Task.sleep(for: .milliseconds(sleepMilliseconds)) }
                if index == askAt {
                    _ = try await context.interrupt(
                        InterruptRequest(
                            title: "Continue?", question: "Step \(index) waits for a go-ahead.",
                            choices: [.init(id: "go", label: "Go on")]))
                }
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

    private static func append(_ line: String, to path: String) {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        _ = line.utf8CString.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count - 1) }
    }
}
