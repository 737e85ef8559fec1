import BatonContracts
import BatonTracing
import BatonWorkflow
import Foundation
import Metrics
import Tracing

/// Applies what happens to workflows — worker events, people's commands, timers that
/// came due — as transactions on a `WorkflowRepository`.
///
/// For each input it locks the workflow, feeds the event to its `WorkflowStateMachine`,
/// records the event in the history and hands the machine's actions to the
/// `ActionExecutor`; the machine decides, the engine only orders and executes. Some
/// actions concern other workflows (a child's end resumes its parent, a parent's end
/// cancels its children): the executor returns them and the engine applies them in the
/// same transaction, so a tree of workflows never shows half a change.
///
/// Lock order: a batch is applied in workflow-id order, so two batches never wait for
/// each other in a cycle; a child's end locks its parent after it, a parent's end its
/// children after it. Those two can meet in a deadlock, which PostgreSQL breaks and the
/// engine retries (transient errors are retried here, with one `Backoff`).
struct WorkflowEngine: Sendable {
    struct Settings: Sendable {
        var commandQueue: String
        var defaults: WorkflowOptions
        /// Checkpoints kept per workflow (older ones are deleted); at least 1.
        var checkpointRetention: Int
        /// Run commands wait in the dispatch queue for the dispatch gate, which shares
        /// the workers between tenants, instead of going to the outbox at once.
        var fairDispatch = false
        /// What each attempt's events may carry (sent in its command).
        var limits = ActivityLimits.standard
        /// The largest input a submission may carry, encoded.
        var maxInputBytes = WorkflowLimits().maxInputBytes
        /// The most entries a workflow's history may hold.
        var maxHistoryEntries = WorkflowLimits().maxHistoryEntries
    }

    /// What the engine applies.
    enum Input: Sendable {
        case worker(WorkerEvent)
        /// A person's or the scheduler's own event for one workflow; `by` is the person
        /// (the authenticated subject), kept in the history.
        case command(workflowId: String, WorkflowEvent, by: String? = nil)

        var workflowId: String {
            switch self {
            case .worker(let event): event.workflowId
            case .command(let id, _, _): id
            }
        }
    }

    enum Outcome: Sendable, Equatable {
        /// Applied or recorded as ignored.
        case applied(ignored: WorkflowAction.IgnoreReason?)
        /// Refused: nothing changed and nothing was recorded.
        case rejected(WorkflowAction.Rejection)
        /// The event was applied before (a redelivery).
        case duplicate
        case unknownWorkflow
    }

    /// The engine's draws: jitter for retries and fresh lease tokens (seeded in the simulation).
    struct Entropy: Sendable {
        var draw: @Sendable () -> Double
        var leaseToken: @Sendable () -> String

        static let system = Entropy(draw: { Double.random(in: 0..<1) }, leaseToken: LeaseTokens.fresh)
    }

    let repository: any WorkflowRepository
    let settings: Settings
    /// Told after a commit that wrote commands to publish.
    let relayWake: WakeSignal?
    /// With fair dispatch, told after a commit that held a run command. (Room that
    /// frees as attempts end is found by the gate's own polling while commands wait:
    /// waking it on every commit made it read its counts on every heartbeat.)
    var dispatchWake: WakeSignal?
    /// With fair dispatch, whether a command may skip the queue (`DispatchAdmission`).
    var admission: DispatchAdmission?
    var clock: @Sendable () -> Date = { Date() }
    var entropy: Entropy = .system
    /// Told after a commit, with the workflows that transaction ended (the log's lines).
    var onEnded: (@Sendable ([EndedWorkflow]) -> Void)?
    /// Transient failures tried again before the error reaches the caller.
    /// A wait that ran out of its limit (a database that stopped answering) is not tried
    /// again here: it reaches the caller at once, so that a request answers 503 after one
    /// limit, not after four.
    var maximumRetries = 3
    /// The waits between those tries.
    var retryBackoff = Backoff(initial: .milliseconds(20), maximum: .seconds(1))

    init(repository: any WorkflowRepository, settings: Settings, relayWake: WakeSignal?) {
        self.repository = repository
        self.settings = settings
        self.relayWake = relayWake
    }

    /// Applies `inputs` in one transaction; returns each one's outcome, in order.
    /// `traces`: for each input, the trace that the commands it causes continue (the
    /// headers its message came with); missing ones continue none.
    func apply(_ inputs: [Input], traces: [[String: String]] = []) async throws -> [Outcome] {
        guard !inputs.isEmpty else { return [] }
        // Stable: each workflow's inputs keep their order.
        let order = inputs.indices.sorted { (inputs[$0].workflowId, $0) < (inputs[$1].workflowId, $1) }
        let outcomes = try await transaction { tx, run in
            try tx.prepare(lockingWorkflows: inputs.map(\.workflowId), eventIds: inputs.compactMap(\.eventId))
            return try order.map { index in
                run.trace = traces.indices.contains(index) ? traces[index] : [:]
                return try run.apply(inputs[index], on: tx)
            }
        }
        var result = [Outcome](repeating: .unknownWorkflow, count: inputs.count)
        for (position, index) in order.enumerated() { result[index] = outcomes[position] }
        return result
    }

    /// Applies one command and returns the workflow as it is afterwards.
    func command(
        _ event: WorkflowEvent, to workflowId: String, by person: String? = nil
    ) async throws -> (Outcome, WorkflowView?) {
        // Read here: the transaction's body may run on another thread, without the task's context.
        let trace = TraceHeaders.current()
        return try await transaction { tx, run in
            run.trace = trace
            let outcome = try run.apply(.command(workflowId: workflowId, event, by: person), on: tx)
            return (outcome, try tx.view(of: workflowId))
        }
    }

    /// Fires up to `limit` due timers, leaving the `held` kinds for later; returns how many fired.
    ///
    /// `heldIfLate` is asked once the due timers are read, and the kinds it names wait
    /// too: a decision to let silence timers fire, made before a round trip that took
    /// long (a stalled database), no longer says anything about the events that queued
    /// up meanwhile.
    func fireDueTimers(
        holding held: [WorkflowTimer], limit: Int, heldIfLate: @escaping @Sendable () -> [WorkflowTimer] = { [] }
    ) async throws -> Int {
        try await transaction { tx, run in
            var fired = 0
            // Each is taken just before it fires: an earlier one of the batch may have
            // re-armed it (a lost worker's heartbeat timeout dispatches a new attempt and
            // arms its schedule-to-start), and then it must not fire (found by the simulation).
            var due = try tx.dueTimers(now: run.now, holding: held, limit: limit)
            let late = Set(heldIfLate())
            due.removeAll { late.contains($0.timer) }
            try tx.prepare(lockingWorkflows: due.map(\.workflowId), eventIds: [])
            for timer in due where try tx.takeTimer(timer, now: run.now) {
                // A new trace: the attempt a retry or a lost worker's timeout dispatches
                // is traced on its own, not inside the long-gone request that submitted it.
                let span = startSpan("timer \(timer.timer.rawValue)", context: .topLevel)
                defer { span.end() }
                span.attributes[SpanAttributeNames.workflowId] = timer.workflowId
                span.attributes[SpanAttributeNames.attempt] = timer.attempt
                span.attributes[SpanAttributeNames.timer] = timer.timer.rawValue
                run.trace = TraceHeaders.inject(span.context)
                _ = try run.apply(
                    .command(workflowId: timer.workflowId, .timerFired(timer.timer, attempt: timer.attempt)), on: tx)
                fired += 1
            }
            return fired
        }
    }

    /// Runs `body` in a transaction with a fresh `Run`, retrying transient failures, and
    /// wakes the relay when the committed transaction wrote commands.
    func transaction<T: Sendable>(
        _ body: @escaping @Sendable (any WorkflowTransaction, inout Run) throws -> T
    ) async throws -> T {
        var backoff = retryBackoff
        while true {
            do {
                let (value, enqueued, held, ended, starts) = try await repository.transaction { [self] tx in
                    var run = Run(engine: self, now: clock())
                    let value = try body(tx, &run)
                    return (value, run.enqueued, run.held, run.ended, run.starts)
                }
                for start in starts {
                    Metrics.Timer(label: "baton_dispatch_to_start_seconds", dimensions: [("agent", start.agent)])
                        .recordSeconds(max(0, start.seconds))
                }
                if enqueued { relayWake?.signal() }
                if held { dispatchWake?.signal() }
                if !ended.isEmpty { onEnded?(ended) }
                return value
            } catch let error
                where repository.isTransient(error) && !repository.isTimeout(error) && backoff.failures < maximumRetries
            {
                try await Task.sleep(for: backoff.nextDelay())
            }
        }
    }

    /// One transaction's work: the inputs it applied and what they set in motion.
    struct Run {
        let engine: WorkflowEngine
        let now: Date
        /// Whether a command was written to the outbox.
        var enqueued = false
        /// Whether a run command was held for the dispatch gate.
        var held = false
        /// The workflows this transaction ended.
        var ended: [EndedWorkflow] = []
        /// Attempts a worker started, with how long they waited since their dispatch
        /// (for a first attempt, since the submission).
        var starts: [(agent: String, seconds: Double)] = []
        /// The trace that the commands of the input being applied continue, and those of
        /// what it causes in other workflows (a parent resumed by its child's end).
        var trace: [String: String] = [:]

        /// Applies `input` and everything it causes in other workflows.
        mutating func apply(_ input: Input, on tx: any WorkflowTransaction) throws -> Outcome {
            var pending: [Input] = []
            let outcome = try applyOne(input, on: tx, causing: &pending)
            // Breadth first, within this transaction; each step ends a workflow at most once.
            while !pending.isEmpty {
                let next = pending.removeFirst()
                _ = try applyOne(next, on: tx, causing: &pending)
            }
            return outcome
        }

        private mutating func applyOne(
            _ input: Input, on tx: any WorkflowTransaction, causing pending: inout [Input]
        ) throws -> Outcome {
            let workflowId = input.workflowId
            guard let stored = try tx.lockWorkflow(workflowId) else { return .unknownWorkflow }
            var machine = stored.machine
            let attemptBefore = machine.attempt
            let wasTerminal = machine.isTerminal
            let event = input.event
            let actions = machine.handle(
                event, now: now, random: engine.entropy.draw(), newLeaseToken: engine.entropy.leaseToken(),
                historyLimit: engine.settings.maxHistoryEntries)
            for case .reject(let rejection) in actions { return .rejected(rejection) }
            var ignored: WorkflowAction.IgnoreReason?
            for case .ignore(let reason) in actions { ignored = reason }
            if let entry = HistoryEntries.entry(
                for: input, attempt: event.attempt ?? attemptBefore,
                outcome: ignored.map { "ignored: \($0.rawValue)" } ?? "applied")
            {
                guard try tx.appendHistory(entry) else { return .duplicate }
            }
            let execution = try ActionExecutor(settings: engine.settings, admission: engine.admission).execute(
                actions, of: stored, machine: machine, saving: !wasTerminal, now: now, trace: trace, on: tx)
            if case .dispatched(_, let since) = stored.machine.state, case .running = machine.state {
                starts.append((stored.agent, now.timeIntervalSince(since)))
            }
            if !wasTerminal && machine.isTerminal {
                ended.append(
                    EndedWorkflow(
                        id: workflowId, agent: stored.agent, tenant: stored.tenant, status: machine.status,
                        attempt: machine.attempt, reason: EndedWorkflow.reason(machine.state),
                        traceId: TraceHeaders.traceId(trace)))
            }
            enqueued = enqueued || execution.enqueued
            held = held || execution.held
            // Counted as the transaction runs: a rolled-back transaction (rare) may count twice.
            if let usage = execution.endedWithUsage { UsageMetrics.record(usage.total, agent: stored.agent) }
            for followUp in execution.followUps {
                switch followUp {
                case .checkChildEnded(let child):
                    // Read, not locked: a child ending now locks this workflow after it and
                    // finds the wait recorded; one that ended before is seen here.
                    if let outcome = try tx.outcome(of: child) {
                        pending.append(.command(workflowId: workflowId, .childEnded(outcome)))
                    }
                case .notifyParent(let parent):
                    if let outcome = try tx.outcome(of: workflowId) {
                        pending.append(.command(workflowId: parent, .childEnded(outcome)))
                    }
                case .cancelChildren(let status):
                    let reason = "its parent workflow \(workflowId) ended (\(status.rawValue))"
                    for child in try tx.unfinishedChildren(of: workflowId) {
                        pending.append(.command(workflowId: child, .cancelRequested(reason: reason)))
                    }
                }
            }
            return .applied(ignored: ignored)
        }
    }
}

extension WorkflowEngine.Input {
    /// A worker event's id; nil for commands.
    var eventId: UUID? {
        if case .worker(let event) = self { return event.eventId }
        return nil
    }

    /// The event as the state machine sees it.
    var event: WorkflowEvent {
        switch self {
        case .worker(let event):
            .worker(event.kind, attempt: event.attempt, workerId: event.workerId, leaseToken: event.leaseToken)
        case .command(_, let event, _):
            event
        }
    }
}

/// Fresh attempt secrets.
enum LeaseTokens {
    /// 128 random bits as hex.
    @Sendable static func fresh() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let word = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - word.count) + word
        }.joined()
    }
}

/// A workflow a transaction ended, as the log tells it.
struct EndedWorkflow: Sendable, Equatable {
    var id: String
    var agent: String
    var tenant: String
    var status: WorkflowStatus
    var attempt: Int
    /// A failure's kind and message, a cancellation's reason.
    var reason: String?
    /// The trace of what ended it (the worker's attempt, a person's cancel), for its log line.
    var traceId: String? = nil

    static func reason(_ state: WorkflowStateMachine.State) -> String? {
        switch state {
        case .failed(let failure), .timedOut(let failure): "\(failure.kind): \(failure.message)"
        case .cancelled(let reason): reason
        default: nil
        }
    }
}
