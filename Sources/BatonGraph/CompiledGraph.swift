import BatonContracts
import Foundation

/// A validated graph, ready to run from its start or to resume from a checkpoint.
public struct CompiledGraph<State: Codable & Sendable>: Sendable {
    let nodes: [String: StateGraph<State>.Node]
    let edges: [String: String]
    public let stepLimit: Int

    /// Runs the graph to END and returns the final state.
    ///
    /// With a checkpoint, the run continues from the checkpoint's state and next nodes:
    /// steps already checkpointed do not run again.
    public func run(
        input: State, resumingFrom checkpoint: Checkpoint? = nil, attempt: Int = 1,
        hooks: GraphRunHooks = GraphRunHooks()
    ) async throws -> State {
        var state = input
        var step = 0
        var next = edges[StateGraph<State>.start]
        if let checkpoint {
            state = try Self.decode(checkpoint.state)
            step = checkpoint.step
            next = checkpoint.nextNodes.first ?? StateGraph<State>.end
            if let node = next, node != StateGraph<State>.end, nodes[node] == nil {
                throw GraphError.checkpointMismatch("it names node '\(node)', which this graph does not have")
            }
        }
        while let name = next, name != StateGraph<State>.end, let node = nodes[name] {
            guard step < stepLimit else { throw GraphError.stepLimitExceeded(stepLimit) }
            try Task.checkCancellation()
            await hooks.nodeStarted(ActivityProgress(node: name, step: step))
            state = try await node(state, NodeContext(node: name, step: step, attempt: attempt, hooks: hooks))
            step += 1
            next = edges[name]
            let following = next.map { $0 == StateGraph<State>.end ? [] : [$0] } ?? []
            try await hooks.checkpoint(Checkpoint(step: step, nextNodes: following, state: try Self.encode(state)))
        }
        return state
    }

    /// The JSON form of a state, as stored in checkpoints.
    public static func encode(_ state: State) throws(GraphError) -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(state))
        } catch {
            throw .stateEncoding("\(error)")
        }
    }

    static func decode(_ value: JSONValue) throws(GraphError) -> State {
        do {
            return try JSONDecoder().decode(State.self, from: JSONEncoder().encode(value))
        } catch {
            throw .checkpointMismatch("its state does not decode as \(State.self): \(error)")
        }
    }
}
