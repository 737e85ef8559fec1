import BatonContracts
import Foundation
import Tracing

/// A validated graph, ready to run from its start, resume from a checkpoint, or fork.
///
/// Execution is Pregel-style: each super-step runs its tasks concurrently on the same
/// state, folds their writes into the state through the field reducers in task order
/// (so the result does not depend on timing), then follows the edges of the tasks that
/// ran. A checkpoint is emitted after every super-step and whenever a task journals a
/// call, finishes inside a parallel step, or its subgraph checkpoints.
public struct CompiledGraph<State: GraphState>: Sendable {
    let nodes: [String: StateGraph<State>.Body]
    let edges: [String: [String]]
    let conditionalEdges: [String: StateGraph<State>.ConditionalEdge]
    public let stepLimit: Int
    /// The most tasks one super-step may run.
    public let taskLimit: Int

    /// Runs to END or to an interrupt. With a checkpoint, continues from it: finished
    /// super-steps and tasks do not run again and journaled calls replay; `humanInput`
    /// answers the interrupt the checkpoint stopped at.
    public func run(
        input: State, resumingFrom checkpoint: Checkpoint? = nil, humanInput: JSONValue? = nil, attempt: Int = 1,
        hooks: GraphRunHooks = GraphRunHooks()
    ) async throws -> GraphOutcome<State> {
        let start: Checkpoint
        if let checkpoint {
            try validate(checkpoint)
            start = checkpoint
        } else {
            let (tasks, sends) = try await route(after: [StateGraph<State>.start], state: input)
            start = Checkpoint(
                step: 0, superstep: 0, nextNodes: tasks, state: try StateCoding.encode(input),
                sendInputs: sends.isEmpty ? nil : sends)
        }
        let recorder = RunRecorder(checkpoint: start, hooks: hooks, humanInput: humanInput)
        // The typed state travels from step to step; JSON is decoded only on resume.
        var state: State = checkpoint == nil ? input : try StateCoding.decode(start.state)
        while true {
            let checkpoint = await recorder.checkpoint
            if checkpoint.nextNodes.isEmpty { return .completed(state) }
            guard checkpoint.superstep < stepLimit else { throw GraphError.stepLimitExceeded(stepLimit) }
            try Task.checkCancellation()
            switch try await runStep(checkpoint, state: state, recorder: recorder, attempt: attempt, hooks: hooks) {
            case .next(let next):
                state = next
            case .interrupted(let pending):
                await hooks.event(.interrupted(pending))
                return .interrupted(pending)
            }
        }
    }

    /// A new history branching from `checkpoint` with its state changed by `update`:
    /// run it with `run(input:resumingFrom:)`.
    public func fork(from checkpoint: Checkpoint, update: (inout State) throws -> Void) throws -> Checkpoint {
        try validate(checkpoint)
        var state: State = try StateCoding.decode(checkpoint.state)
        try update(&state)
        return Checkpoint(
            step: checkpoint.step, superstep: checkpoint.superstep, nextNodes: checkpoint.nextNodes,
            state: try StateCoding.encode(state), sendInputs: checkpoint.sendInputs, usage: checkpoint.usage,
            parentStep: checkpoint.step)
    }

    /// What a task of a step left: its writes, and its output when it ran in this attempt
    /// (not when it had finished before a resume).
    private struct TaskResult: Sendable {
        var writes: JSONValue
        var output: (state: State, encoded: StateCoding<State>.EncodedOutput)?
    }

    private enum StepOutcome {
        case next(State)
        case interrupted(PendingInterrupt)
    }

    /// Runs the tasks of one super-step; returns the new state or the interrupt that stopped it.
    private func runStep(
        _ checkpoint: Checkpoint, state: State, recorder: RunRecorder, attempt: Int, hooks: GraphRunHooks
    ) async throws -> StepOutcome {
        let tasks = checkpoint.nextNodes
        let parallel = tasks.count > 1
        var outputs: [String: TaskResult] = [:]
        var firstError: (any Error)?
        var interrupt: PendingInterrupt?
        await withTaskGroup(of: (String, Result<TaskResult, any Error>?).self) { group in
            for task in tasks {
                group.addTask {
                    if let writes = await recorder.pendingWrites(task: task) {
                        return (task, .success(TaskResult(writes: writes, output: nil)))
                    }
                    do {
                        return (
                            task,
                            .success(
                                try await runTask(
                                    task, state: state, checkpoint: checkpoint, recorder: recorder, attempt: attempt,
                                    hooks: hooks, parallel: parallel))
                        )
                    } catch {
                        return (task, .failure(error))
                    }
                }
            }
            for await (task, result) in group {
                switch result {
                case .success(let result):
                    outputs[task] = result
                case .failure(let error as GraphInterrupt):
                    if interrupt == nil { interrupt = error.pending }
                case .failure(let error):
                    if firstError == nil { firstError = error }
                case nil:
                    break
                }
            }
        }
        if let firstError { throw firstError }
        if let interrupt {
            try await recorder.interrupted(interrupt)
            return .interrupted(interrupt)
        }
        let ordered = tasks.sorted(by: Self.taskOrder)
        let newState: State
        let newJSON: JSONValue
        let delta: StateDelta
        if tasks.count == 1, checkpoint.sendInputs == nil, let output = outputs[tasks[0]]?.output,
            !State.reducers.values.contains(where: \.isCustom)
        {
            // One task on the shared state: its output is the new state.
            newState = output.state
            newJSON = output.encoded.json
            delta = output.encoded.delta
        } else {
            let taskWrites = ordered.compactMap { outputs[$0]?.writes }
            newJSON = StateCoding<State>.apply(taskWrites, to: checkpoint.state)
            newState = try StateCoding.decode(newJSON)
            // Only the fields the tasks wrote can differ from the step's starting state.
            let written = taskWrites.flatMap { $0.objectValue?.keys.map { $0 } ?? [] }
            delta = StateDelta.between(checkpoint.state, newJSON, fields: written)
        }
        await hooks.event(.values(superstep: checkpoint.superstep + 1, state: newJSON))
        let (next, sends) = try await route(after: ordered.map(Self.node(of:)), state: newState)
        try await recorder.beginStep(
            Checkpoint(
                step: checkpoint.step, superstep: checkpoint.superstep + 1, nextNodes: next, state: newJSON,
                sendInputs: sends.isEmpty ? nil : sends),
            changedBy: delta)
        return .next(newState)
    }

    /// One task as a span of the attempt's trace: parallel branches are sibling spans.
    private func runTask(
        _ task: String, state: State, checkpoint: Checkpoint, recorder: RunRecorder, attempt: Int,
        hooks: GraphRunHooks, parallel: Bool
    ) async throws -> TaskResult {
        let span = startSpan("node \(Self.node(of: task))")
        defer { span.end() }
        span.attributes["baton.graph.node"] = Self.node(of: task)
        span.attributes["baton.graph.task"] = task
        span.attributes["baton.graph.superstep"] = checkpoint.superstep
        do {
            return try await InstrumentationContext.$current.withValue(span.context) {
                try await runTaskBody(
                    task, state: state, checkpoint: checkpoint, recorder: recorder, attempt: attempt, hooks: hooks,
                    parallel: parallel)
            }
        } catch let interrupt as GraphInterrupt {
            // Waiting for a person is not a failure of the node.
            span.attributes["baton.graph.interrupted"] = true
            throw interrupt
        } catch {
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error))
            throw error
        }
    }

    private func runTaskBody(
        _ task: String, state: State, checkpoint: Checkpoint, recorder: RunRecorder, attempt: Int,
        hooks: GraphRunHooks, parallel: Bool
    ) async throws -> TaskResult {
        let node = Self.node(of: task)
        guard let body = nodes[node] else {
            throw GraphError.checkpointMismatch("it names node '\(node)', which this graph does not have")
        }
        let sendInput = checkpoint.sendInputs?[task]
        let input: State = try sendInput.map { try StateCoding.decode($0) } ?? state
        await hooks.nodeStarted(ActivityProgress(node: node, step: checkpoint.superstep))
        await hooks.event(.taskStarted(task: task, superstep: checkpoint.superstep))
        let output: State
        switch body {
        case .function(let function):
            let context = NodeContext(
                node: node, task: task, superstep: checkpoint.superstep, attempt: attempt, recorder: recorder,
                hooks: hooks)
            output = try await function(input, context)
        case .subgraph(let graph):
            let (childCheckpoint, answer) = await recorder.child(task: task)
            var childHooks = hooks
            childHooks.checkpoint = { child, _ in try await recorder.recordChild(task: task, checkpoint: child) }
            childHooks.event = { _ in }
            switch try await graph.run(
                input: input, resumingFrom: childCheckpoint, humanInput: answer, attempt: attempt, hooks: childHooks)
            {
            case .completed(let result):
                output = result
            case .interrupted(let pending):
                throw GraphInterrupt(pending: PendingInterrupt(task: task, key: "subgraph", request: pending.request))
            }
        }
        let encoded = try StateCoding.encode(output, receivedAs: input, json: sendInput ?? checkpoint.state)
        await hooks.event(.update(task: task, writes: encoded.writes))
        try await recorder.taskFinished(task: task, writes: encoded.writes, emitCheckpoint: parallel)
        return TaskResult(writes: encoded.writes, output: (output, encoded))
    }

    /// The tasks that follow `finished` nodes: plain edges (each target once) and the
    /// routes of conditional edges; `Send` routes become `node#i` tasks with inputs.
    private func route(after finished: [String], state: State) async throws -> ([String], [String: JSONValue]) {
        var next: [String] = []
        var sends: [String: JSONValue] = [:]
        var sendCounts: [String: Int] = [:]
        func add(_ target: String) {
            if target != StateGraph<State>.end && !next.contains(target) { next.append(target) }
        }
        for node in finished {
            for target in edges[node] ?? [] { add(target) }
            guard let conditional = conditionalEdges[node] else { continue }
            for route in try await conditional.router(state) {
                switch route {
                case .end:
                    guard conditional.destinations.contains(StateGraph<State>.end) else {
                        throw GraphError.undeclaredRoute(from: node, to: StateGraph<State>.end)
                    }
                case .node(let target):
                    guard conditional.destinations.contains(target) else {
                        throw GraphError.undeclaredRoute(from: node, to: target)
                    }
                    add(target)
                case .send(let target, let input):
                    guard conditional.destinations.contains(target) else {
                        throw GraphError.undeclaredRoute(from: node, to: target)
                    }
                    guard next.count < taskLimit else { throw GraphError.taskLimitExceeded(taskLimit) }
                    let index = sendCounts[target, default: 0]
                    sendCounts[target] = index + 1
                    let task = "\(target)#\(index)"
                    next.append(task)
                    sends[task] = try StateCoding.encode(input)
                }
            }
        }
        guard next.count <= taskLimit else { throw GraphError.taskLimitExceeded(taskLimit) }
        return (next, sends)
    }

    /// A checkpoint comes from the database: its counts must be ones this runtime could
    /// have written, or a negative super-step count would run past the step limit.
    private func validate(_ checkpoint: Checkpoint) throws(GraphError) {
        guard checkpoint.step >= 0, checkpoint.superstep >= 0 else {
            throw .checkpointMismatch(
                "its checkpoint number (\(checkpoint.step)) or super-step count (\(checkpoint.superstep)) is negative")
        }
        guard checkpoint.nextNodes.count <= taskLimit else {
            throw .checkpointMismatch(
                "its super-step has \(checkpoint.nextNodes.count) tasks, more than this graph's task limit of \(taskLimit)"
            )
        }
        for task in checkpoint.nextNodes where nodes[Self.node(of: task)] == nil {
            throw .checkpointMismatch("it names node '\(Self.node(of: task))', which this graph does not have")
        }
    }

    static func node(of task: String) -> String {
        task.split(separator: "#", maxSplits: 1).first.map(String.init) ?? task
    }

    /// Tasks merge in node-name order, then `Send` index order.
    static func taskOrder(_ a: String, _ b: String) -> Bool {
        let (nodeA, nodeB) = (node(of: a), node(of: b))
        if nodeA != nodeB { return nodeA < nodeB }
        return sendIndex(a) < sendIndex(b)
    }

    private static func sendIndex(_ task: String) -> Int {
        task.split(separator: "#").dropFirst().first.flatMap { Int($0) } ?? -1
    }

    /// The JSON form of a state, as checkpoints carry it.
    public static func encode(_ state: State) throws(GraphError) -> JSONValue { try StateCoding.encode(state) }
}

extension CompiledGraph {
    /// The run as an `AsyncSequence` of events (updates, values, custom, checkpoints),
    /// ending after the final `values` or an `interrupted` event. Cancelling the
    /// consuming task cancels the run.
    public func stream(
        input: State, resumingFrom checkpoint: Checkpoint? = nil, humanInput: JSONValue? = nil, attempt: Int = 1,
        hooks: GraphRunHooks = GraphRunHooks()
    ) -> AsyncThrowingStream<GraphEvent, any Error> {
        AsyncThrowingStream { continuation in
            var streaming = hooks
            let forward = hooks.event
            streaming.event = { event in
                await forward(event)
                continuation.yield(event)
            }
            let run = Task {
                do {
                    _ = try await self.run(
                        input: input, resumingFrom: checkpoint, humanInput: humanInput, attempt: attempt,
                        hooks: streaming)
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in run.cancel() }
        }
    }
}
