/// A graph's durable resume point, produced by the worker after every super-step and
/// stored by the scheduler. The scheduler treats `state` as opaque JSON.
public struct Checkpoint: Sendable, Hashable, Codable {
    /// Super-steps completed so far; the checkpoint after the first node has step 1.
    public var step: Int
    /// The nodes to run next; empty when the graph has reached END.
    public var nextNodes: [String]
    /// The graph state after `step` super-steps.
    public var state: JSONValue

    public init(step: Int, nextNodes: [String], state: JSONValue) {
        self.step = step
        self.nextNodes = nextNodes
        self.state = state
    }
}
