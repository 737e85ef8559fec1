import BatonContracts

/// What a running node may know and report.
public struct NodeContext: Sendable {
    public let node: String
    /// Super-steps completed before this one.
    public let step: Int
    /// The workflow attempt running the graph (1 for the first run).
    public let attempt: Int
    let hooks: GraphRunHooks

    /// Reports custom progress (phase, percent, label) for this node.
    public func reportProgress(phase: String? = nil, percent: Double? = nil, label: String? = nil) async {
        await hooks.progress(ActivityProgress(node: node, step: step, phase: phase, percent: percent, label: label))
    }
}

/// Where a graph run reports to. The runtime does not know where checkpoints go.
public struct GraphRunHooks: Sendable {
    /// Called before a node starts.
    public var nodeStarted: @Sendable (ActivityProgress) async -> Void
    /// Called with custom progress from a node.
    public var progress: @Sendable (ActivityProgress) async -> Void
    /// Called after every super-step; the next step starts only after it returns, so a
    /// throwing or slow store holds the graph back rather than running ahead of it.
    public var checkpoint: @Sendable (Checkpoint) async throws -> Void

    public init(
        nodeStarted: @escaping @Sendable (ActivityProgress) async -> Void = { _ in },
        progress: @escaping @Sendable (ActivityProgress) async -> Void = { _ in },
        checkpoint: @escaping @Sendable (Checkpoint) async throws -> Void = { _ in }
    ) {
        self.nodeStarted = nodeStarted
        self.progress = progress
        self.checkpoint = checkpoint
    }
}
