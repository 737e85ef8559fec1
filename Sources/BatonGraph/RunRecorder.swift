import BatonContracts

/// The in-flight checkpoint of one run: journal, pending writes, subgraph checkpoints
/// and usage of the current super-step, emitted in order through the hooks.
actor RunRecorder {
    private var current: Checkpoint
    private let hooks: GraphRunHooks
    /// The answer to the interrupt the run resumed from, consumed by its task.
    private var resumeAnswer: (task: String, key: String, answer: JSONValue)?
    private var lastEmission: Task<Void, any Error>?
    /// The state of the checkpoint emitted last (at first, the one the run started from),
    /// and the change from it to `current.state`. Only `beginStep` changes the state, and
    /// it emits: between emissions the change is empty.
    private var emittedState: (step: Int, state: JSONValue)
    private var stateDelta = StateDelta()

    init(checkpoint: Checkpoint, hooks: GraphRunHooks, humanInput: JSONValue?) {
        self.current = checkpoint
        emittedState = (checkpoint.step, checkpoint.state)
        self.hooks = hooks
        if let pending = checkpoint.interrupt, let humanInput {
            resumeAnswer = (pending.task, pending.key, humanInput)
        }
    }

    var checkpoint: Checkpoint { current }

    func journaled(task: String, key: String) -> JSONValue? {
        current.journal?[task]?[key]
    }

    func answer(task: String, key: String) -> JSONValue? {
        guard let resume = resumeAnswer, resume.task == task, resume.key == key else { return nil }
        return resume.answer
    }

    /// The subgraph checkpoint a task resumes from, and the answer meant for it.
    func child(task: String) -> (checkpoint: Checkpoint?, answer: JSONValue?) {
        let answer = resumeAnswer.flatMap { $0.task == task && $0.key == "subgraph" ? $0.answer : nil }
        return (current.children?[task], answer)
    }

    func pendingWrites(task: String) -> JSONValue? { current.pendingWrites?[task] }

    func journal(task: String, key: String, value: JSONValue, usage: (node: String, TokenUsage)? = nil) async throws {
        if let usage { try addUsage(node: usage.node, usage.1) }
        var journal = current.journal ?? [:]
        journal[task, default: [:]][key] = value
        current.journal = journal
        if resumeAnswer?.task == task && resumeAnswer?.key == key {
            resumeAnswer = nil
            current.interrupt = nil
        }
        try await emit()
    }

    func recordChild(task: String, checkpoint: Checkpoint) async throws {
        var children = current.children ?? [:]
        children[task] = checkpoint
        current.children = children
        try await emit()
    }

    func addUsage(node: String, _ usage: TokenUsage) throws(GraphError) {
        var totals = current.usage ?? [:]
        guard let total = (totals[node] ?? TokenUsage()).adding(usage) else { throw .usageOverflow(node: node) }
        totals[node] = total
        current.usage = totals
    }

    /// A task of the step finished: keep its writes so a resumed step skips it.
    func taskFinished(task: String, writes: JSONValue, emitCheckpoint: Bool) async throws {
        var pending = current.pendingWrites ?? [:]
        pending[task] = writes
        current.pendingWrites = pending
        current.children?.removeValue(forKey: task)
        if emitCheckpoint { try await emit() }
    }

    func interrupted(_ pending: PendingInterrupt) async throws {
        current.interrupt = pending
        try await emit()
    }

    /// Starts the next super-step from `next` (state, tasks), whose state `delta` changed
    /// from the current one, and emits it.
    func beginStep(_ next: Checkpoint, changedBy delta: StateDelta) async throws {
        var next = next
        next.step = current.step  // intra-step checkpoints may have advanced the count
        next.usage = current.usage
        current = next
        stateDelta = delta
        try await emit()
    }

    /// Emits the current checkpoint as a new one; emissions are delivered in order.
    private func emit() async throws {
        guard current.step < Int.max else {
            throw GraphError.checkpointMismatch(
                "its number \(current.step) is the largest there is; it cannot be followed")
        }
        current.parentStep = current.step
        current.step += 1
        let checkpoint = current
        let change = StateChange(baseStep: emittedState.step, base: emittedState.state, delta: stateDelta)
        emittedState = (checkpoint.step, checkpoint.state)
        stateDelta = StateDelta()
        let previous = lastEmission
        let hooks = hooks
        let emission = Task {
            try await previous?.value
            try await hooks.checkpoint(checkpoint, change)
            await hooks.event(.checkpoint(checkpoint))
        }
        lastEmission = emission
        try await emission.value
    }
}
