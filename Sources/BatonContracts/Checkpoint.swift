/// A graph's durable resume point, produced by the worker and stored by the scheduler,
/// which reads only `step` and treats the rest as opaque.
///
/// On the wire a checkpoint may carry its state as a delta: `stateDelta`, the change
/// from the state of checkpoint `baseStep` (the previous one the worker sent), with
/// `state` left `null`. The scheduler stores what changed and gives back whole states.
/// Subgraph checkpoints in `children` are always whole.
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
    /// The graph state at the start of that super-step; `null` when `stateDelta` carries it.
    public var state: JSONValue
    /// The state as the change from checkpoint `baseStep`'s; nil when `state` is whole.
    public var stateDelta: StateDelta?
    /// The checkpoint whose state `stateDelta` changes; set exactly when `stateDelta` is.
    public var baseStep: Int?
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
        parentStep: Int? = nil, stateDelta: StateDelta? = nil, baseStep: Int? = nil
    ) {
        self.step = step
        self.stateDelta = stateDelta
        self.baseStep = baseStep
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
        stateDelta = try c.decodeIfPresent(StateDelta.self, forKey: .stateDelta)
        baseStep = try c.decodeIfPresent(Int.self, forKey: .baseStep)
        switch (stateDelta, baseStep) {
        case (nil, nil): break
        case (nil, _?):
            throw DecodingError.dataCorruptedError(
                forKey: .baseStep, in: c, debugDescription: "a checkpoint with a baseStep needs a stateDelta")
        case (_?, nil):
            throw DecodingError.dataCorruptedError(
                forKey: .stateDelta, in: c, debugDescription: "a checkpoint with a stateDelta needs a baseStep")
        case (_?, let base?):
            guard base >= 0, base < step else {
                throw DecodingError.dataCorruptedError(
                    forKey: .baseStep, in: c,
                    debugDescription: "baseStep must be an earlier checkpoint (0 to \(step - 1)), got \(base)")
            }
            guard state == .null else {
                throw DecodingError.dataCorruptedError(
                    forKey: .state, in: c, debugDescription: "a checkpoint with a stateDelta carries no state (null)")
            }
        }
    }
}

extension Checkpoint {
    /// Whether the state travels as a delta.
    public var isDelta: Bool { stateDelta != nil }

    /// This checkpoint with its state whole: its delta applied to `base`, the state of
    /// checkpoint `baseStep`. A whole checkpoint is returned as it is.
    public func applyingDelta(to base: JSONValue) -> Checkpoint {
        guard let stateDelta else { return self }
        var whole = self
        whole.state = stateDelta.applied(to: base)
        whole.stateDelta = nil
        whole.baseStep = nil
        return whole
    }

    /// This (whole) checkpoint as it travels after checkpoint `base`, whose state was
    /// `baseState`: the delta between the two states, unless that would take more bytes
    /// than the state itself.
    public func sendingChanges(since base: Int, state baseState: JSONValue) -> Checkpoint {
        guard stateDelta == nil, base < step else { return self }
        return sendingChanges(since: base, delta: StateDelta.between(baseState, state))
    }

    /// This (whole) checkpoint as it travels after checkpoint `base`, given `delta`, the
    /// change from `base`'s state to this one's (as a graph run knows it from its writes):
    /// the delta, unless that would take more bytes than the state itself.
    public func sendingChanges(since base: Int, delta: StateDelta) -> Checkpoint {
        guard stateDelta == nil, base < step else { return self }
        // Estimates (walks over the values' nodes, the state's only as far as the delta's
        // size): encoding the whole state to measure it would cost what deltas save.
        let deltaBytes = delta.estimatedJSONBytes
        if state.estimatedJSONBytes(stoppingAbove: deltaBytes) <= deltaBytes { return self }
        var sent = self
        sent.state = .null
        sent.stateDelta = delta
        sent.baseStep = base
        return sent
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
