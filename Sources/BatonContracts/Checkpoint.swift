/// A graph's durable resume point, produced by the worker and stored by the scheduler,
/// which reads only `step` and treats the rest as opaque.
///
/// A checkpoint is taken after every super-step, and inside a step whenever a node
/// records a call result or a subgraph checkpoints, so that a crash never costs a
/// recorded call.
public struct Checkpoint: Sendable, Hashable, Codable {
    /// Checkpoint number, increasing by one with every checkpoint of a run (resumes
    /// continue the count). The scheduler keeps the highest.
    public var step: Int
    /// Super-steps completed when this checkpoint was taken.
    public var superstep: Int
    /// The tasks of the super-step to run next (or running now, for a checkpoint taken
    /// inside a step); empty when the graph has reached END.
    public var nextNodes: [String]
    /// The graph state at the start of that super-step.
    public var state: JSONValue
    /// Inputs of `Send` tasks among `nextNodes`, by task key.
    public var sendInputs: [String: JSONValue]?
    /// Field writes of tasks of the current step that already finished, by task key:
    /// a resumed step does not run them again.
    public var pendingWrites: [String: JSONValue]?
    /// Results of `ctx.call` and answers of `ctx.interrupt`, by task key then call key:
    /// a re-entered node replays them instead of calling again.
    public var journal: [String: [String: JSONValue]]?
    /// Checkpoints of subgraphs running inside tasks of the current step, by task key.
    public var children: [String: Checkpoint]?
    /// The question a task is waiting on, with its task key.
    public var interrupt: PendingInterrupt?
    /// Tokens and cost by node, summed over the run so far.
    public var usage: [String: TokenUsage]?
    /// The checkpoint this one follows; a fork points at the checkpoint it branched from.
    public var parentStep: Int?

    public init(
        step: Int, superstep: Int? = nil, nextNodes: [String], state: JSONValue, sendInputs: [String: JSONValue]? = nil,
        pendingWrites: [String: JSONValue]? = nil, journal: [String: [String: JSONValue]]? = nil,
        children: [String: Checkpoint]? = nil, interrupt: PendingInterrupt? = nil, usage: [String: TokenUsage]? = nil,
        parentStep: Int? = nil
    ) {
        self.step = step
        self.superstep = superstep ?? step
        self.nextNodes = nextNodes
        self.state = state
        self.sendInputs = sendInputs
        self.pendingWrites = pendingWrites
        self.journal = journal
        self.children = children
        self.interrupt = interrupt
        self.usage = usage
        self.parentStep = parentStep
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        step = try c.decode(Int.self, forKey: .step)
        superstep = try c.decode(.superstep, default: step)
        nextNodes = try c.decode([String].self, forKey: .nextNodes)
        state = try c.decode(JSONValue.self, forKey: .state)
        sendInputs = try c.decodeIfPresent([String: JSONValue].self, forKey: .sendInputs)
        pendingWrites = try c.decodeIfPresent([String: JSONValue].self, forKey: .pendingWrites)
        journal = try c.decodeIfPresent([String: [String: JSONValue]].self, forKey: .journal)
        children = try c.decodeIfPresent([String: Checkpoint].self, forKey: .children)
        interrupt = try c.decodeIfPresent(PendingInterrupt.self, forKey: .interrupt)
        usage = try c.decodeIfPresent([String: TokenUsage].self, forKey: .usage)
        parentStep = try c.decodeIfPresent(Int.self, forKey: .parentStep)
    }
}

/// A task's question that stopped the graph.
public struct PendingInterrupt: Sendable, Hashable, Codable {
    public var task: String
    /// The key of the `ctx.interrupt` call inside the task.
    public var key: String
    public var request: InterruptRequest

    public init(task: String, key: String, request: InterruptRequest) {
        self.task = task
        self.key = key
        self.request = request
    }
}
