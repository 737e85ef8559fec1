import BatonContracts

/// Where a graph run reports to. The runtime does not know where checkpoints go.
public struct GraphRunHooks: Sendable {
    /// Called before a task starts.
    public var nodeStarted: @Sendable (ActivityProgress) async -> Void
    /// Called with custom progress from a node.
    public var progress: @Sendable (ActivityProgress) async -> Void
    /// Called with every checkpoint, in order, and what changed in its state since the
    /// checkpoint before it; the run waits for it, so a slow or failing store holds the
    /// graph back instead of letting it run ahead.
    public var checkpoint: @Sendable (Checkpoint, StateChange) async throws -> Void
    /// Called with the stream of updates, values and custom events.
    public var event: @Sendable (GraphEvent) async -> Void

    /// Hooks whose `checkpoint` takes the checkpoint alone (set the property to have the
    /// change as well).
    public init(
        nodeStarted: @escaping @Sendable (ActivityProgress) async -> Void = { _ in },
        progress: @escaping @Sendable (ActivityProgress) async -> Void = { _ in },
        checkpoint: @escaping @Sendable (Checkpoint) async throws -> Void = { _ in },
        event: @escaping @Sendable (GraphEvent) async -> Void = { _ in }
    ) {
        self.nodeStarted = nodeStarted
        self.progress = progress
        self.checkpoint = { checkpointed, _ in try await checkpoint(checkpointed) }
        self.event = event
    }
}

/// What a run streams (LangGraph's stream modes: updates, values, custom).
public enum GraphEvent: Sendable, Hashable {
    case taskStarted(task: String, superstep: Int)
    /// The field writes of one finished task.
    case update(task: String, writes: JSONValue)
    /// The whole state after a super-step.
    case values(superstep: Int, state: JSONValue)
    /// Anything a node emits with `ctx.emit`.
    case custom(task: String, payload: JSONValue)
    /// Text a streaming call is generating (`NodeContext.call(_:usage:streamingText:)`),
    /// for live viewers only: it is not in any checkpoint. `restarted`: the call began
    /// again, and the text it showed before is void.
    case text(task: String, node: String, call: String, text: String, restarted: Bool)
    case checkpoint(Checkpoint)
    case interrupted(PendingInterrupt)
}

/// How a run ended.
public enum GraphOutcome<State: GraphState>: Sendable {
    case completed(State)
    /// A task asked a person; resume from the last checkpoint with the answer.
    case interrupted(PendingInterrupt)
}
