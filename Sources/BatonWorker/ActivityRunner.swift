import BatonAMQP
import BatonAgents
import BatonContracts
import BatonGraph
import BatonLLM
import BatonSchedulerClient
import BatonTracing
import Logging
import Metrics
import Synchronization
import Tracing

/// Runs one `RunActivity` command: started, heartbeats on a timer, a confirmed
/// checkpoint after every graph step, then completed or failed.
///
/// Only what the next step depends on is waited for: `started` is confirmed while the
/// first node runs, and the graph's last checkpoint goes out with the outcome, in one
/// batch with one confirm wait.
struct ActivityRunner: Sendable {
    let registry: AgentRegistry
    let publisher: EventPublisher
    let workerId: String
    let cancellations: ActivityCancellations
    let drain: WorkerDrain
    /// Where the text of streamed model calls goes; nil sends none.
    var text: TextPublisher? = nil
    let logger: Logger

    /// Returns when the outcome is published. Throws when the broker is unreachable or
    /// the worker is stopping: the delivery must then stay unacknowledged so that it is
    /// redelivered.
    ///
    /// `trace`: the headers the command came with. The attempt is a span of that trace
    /// (the submitting request's, or the retry's), with each graph step and model call
    /// inside it, and the events it sends carry it back to the scheduler.
    func run(_ command: RunActivity, trace: [String: String] = [:]) async throws {
        let span = startSpan("activity \(command.agent)", context: TraceHeaders.extract(trace), ofKind: .consumer)
        defer { span.end() }
        span.attributes[SpanAttributeNames.workflowId] = command.workflowId
        span.attributes[SpanAttributeNames.attempt] = command.attempt
        span.attributes[SpanAttributeNames.agent] = command.agent
        if let tenant = command.tenant { span.attributes[SpanAttributeNames.tenant] = tenant }
        span.attributes[SpanAttributeNames.messagingSystem] = "rabbitmq"
        span.attributes[SpanAttributeNames.messagingOperation] = "process"
        try await InstrumentationContext.$current.withValue(span.context) {
            try await runActivity(command, span: span)
        }
    }

    private func runActivity(_ command: RunActivity, span: any Span) async throws {
        let limits = command.limits ?? .standard
        let emitAll: @Sendable ([WorkerEvent.Kind]) async throws -> Void = { kinds in
            try await publisher.publish(
                kinds.map { kind in
                    (
                        WorkerEvent(
                            workflowId: command.workflowId, attempt: command.attempt, workerId: workerId,
                            leaseToken: command.leaseToken, kind: kind),
                        command.eventsRoutingKey
                    )
                }, limits: limits)
        }
        let emit: @Sendable (WorkerEvent.Kind) async throws -> Void = { try await emitAll([$0]) }
        var logger = logger
        // On every line the worker logs of the attempt.
        logger[metadataKey: "workflow"] = "\(command.workflowId)"
        logger[metadataKey: "attempt"] = "\(command.attempt)"
        logger[metadataKey: "agent"] = "\(command.agent)"
        if let tenant = command.tenant { logger[metadataKey: "tenant"] = "\(tenant)" }
        // The broker keeps a channel's messages in order: whatever follows `started` is
        // queued behind it, and waits for its confirm before it counts as sent.
        let started = Task { try await emit(.started) }
        guard let agent = registry.agent(named: command.agent) else {
            try await started.value
            let failure = ActivityFailure(
                kind: "unknown_agent",
                message:
                    "this worker has no agent named '\(command.agent)'; it has: \(registry.names.joined(separator: ", "))",
                retryable: false)
            logger.warning("\(failure.message)")
            try await emit(.failed(failure))
            return
        }
        logger.info("activity started", metadata: ["resume_step": "\(command.checkpoint?.step ?? 0)"])
        // Registered by the consumer that accepted the command (`ActivityCancellations.claim`).
        let key = ActivityCancellations.Key(workflowId: command.workflowId, attempt: command.attempt)
        ActivityMetrics.running.increment()
        defer { ActivityMetrics.running.decrement() }
        // The scheduler validates the interval; bounded here as well, whatever a command says.
        let heartbeatInterval = Duration.seconds(min(max(command.heartbeatIntervalSeconds, 0.5), 3600))
        let latestProgress = Latest<ActivityProgress>()
        let latestUsage = Latest<[String: TokenUsage]>()
        let sent = SentCheckpoints(resumedFrom: command.checkpoint, deltas: command.acceptsStateDeltas == true)
        // The checkpoint at the graph's end: no step waits for it, so it goes out with the outcome.
        let endCheckpoint = Latest<Checkpoint>()
        // From the end of one step's checkpoint (or the start) to the next checkpoint.
        let stepBegan = Latest<ContinuousClock.Instant>()
        stepBegan.set(.now)
        let stepTime = ActivityMetrics.stepTime(agent: command.agent)
        // An outcome over its limit (`ActivityLimits`) fails the attempt instead.
        let emitOutcome: @Sendable (WorkerEvent.Kind) async throws -> Void = { [logger] kind in
            try await started.value
            do {
                try await emitAll((endCheckpoint.take().map { [.checkpointed($0)] } ?? []) + [kind])
            } catch let failure as ActivityFailure {
                logger.warning("activity failed", metadata: ["kind": "\(failure.kind)", "error": "\(failure.message)"])
                try await emitAll([.failed(failure)])
            }
        }
        var activityHooks = GraphRunHooks(
            nodeStarted: { latestProgress.set($0) },
            progress: { progress in
                latestProgress.set(progress)
                guard (try? await started.value) != nil else { return }
                try? await emit(.progress(progress))
            })
        if let text {
            let (workflowId, attempt, workerId) = (command.workflowId, command.attempt, workerId)
            let pieces = Atomic<Int>(0)
            activityHooks.event = { event in
                guard case .text(_, let node, let call, let piece, let restarted) = event else { return }
                text.offer(
                    TextDelta(
                        workflowId: workflowId, attempt: attempt, node: node, call: call, text: piece,
                        restarted: restarted, sequence: pieces.add(1, ordering: .relaxed).newValue,
                        workerId: workerId))
            }
        }
        activityHooks.checkpoint = { checkpoint, change in
            if let began = stepBegan.get() { stepTime.record(duration: .now - began) }
            defer { stepBegan.set(.now) }
            if let usage = checkpoint.usage { latestUsage.set(usage) }
            try await started.value
            let held = endCheckpoint.take().map { [WorkerEvent.Kind.checkpointed($0)] } ?? []
            if checkpoint.nextNodes.isEmpty && held.isEmpty {
                // Whole, not a delta: the scheduler then keeps it alone when the
                // workflow ends, without reading the older states back.
                _ = sent.next(checkpoint, change: change)
                endCheckpoint.set(checkpoint)
                return
            }
            try await emitAll(held + [.checkpointed(sent.next(checkpoint, change: change))])
            if drain.isDraining { throw ActivityHandedBack(reason: .draining) }
            if cancellations.isPauseRequested(key) { throw ActivityHandedBack(reason: .paused) }
        }
        let hooks = activityHooks
        let outcome: Result<AgentOutcome, any Error>
        do {
            outcome = .success(
                try await withThrowingTaskGroup(of: AgentOutcome?.self) { group in
                    group.addTask {
                        while true {
                            try await Task.sleep(for: heartbeatInterval)
                            try await emit(.heartbeat(latestProgress.get()))
                        }
                    }
                    group.addTask {
                        if await cancellations.waitForCancellation(of: key) { throw ActivityCancelled() }
                        return nil
                    }
                    // The agent's calls to the scheduler (child workflows) act for this workflow.
                    let credential = command.leaseToken.map {
                        DelegationToken(workflowId: command.workflowId, leaseToken: $0).text
                    }
                    group.addTask {
                        try await SchedulerCredential.$current.withValue(credential) {
                            try await agent.run(
                                AgentRun(
                                    workflowId: command.workflowId, attempt: command.attempt, input: command.input,
                                    checkpoint: command.checkpoint, humanInput: command.humanInput,
                                    caller: command.caller),
                                hooks: hooks)
                        }
                    }
                    defer { group.cancelAll() }
                    // The heartbeat child never returns a value; the first value is the agent's.
                    while let value = try await group.next() {
                        if let output = value { return output }
                    }
                    throw CancellationError()
                })
        } catch let error as AMQPError {
            throw error
        } catch {
            outcome = .failure(error)
        }
        ActivityMetrics.count(outcome, agent: command.agent)
        span.attributes[SpanAttributeNames.outcome] = ActivityMetrics.name(of: outcome)
        if case .failure(let error) = outcome, !(error is ActivityHandedBack) {
            span.setStatus(SpanStatus(code: .error, message: Self.classify(error).kind))
        }
        switch outcome {
        case .success(.completed(let output)):
            try await emitOutcome(.completed(output: output))
            // kpi_store: log. The scheduler exports the same totals on /metrics.
            let usage = UsageSummary(byNode: latestUsage.get() ?? [:]).total
            logger.info(
                "activity completed",
                metadata: [
                    "kpi.prompt_tokens": "\(usage.promptTokens)", "kpi.completion_tokens": "\(usage.completionTokens)",
                    "kpi.cost": "\(usage.cost)",
                ])
        case .success(.interrupted(let request)):
            try await emitOutcome(.interrupted(request))
            logger.info("activity waits for a person", metadata: ["question": "\(request.question)"])
        case .failure(let handedBack as ActivityHandedBack):
            // The checkpoint just published is where the next attempt starts.
            try await emitOutcome(.handedBack)
            logger.info(
                handedBack.reason == .paused
                    ? "activity handed back at its checkpoint (workflow paused)"
                    : "activity handed back at its checkpoint (worker draining)")
        case .failure(let error):
            if error is CancellationError { throw error }
            let failure = Self.classify(error)
            logger.warning("activity failed", metadata: ["kind": "\(failure.kind)", "error": "\(failure.message)"])
            try await emitOutcome(.failed(failure))
        }
    }

    /// Input and graph errors will fail again; anything else might not.
    static func classify(_ error: any Error) -> ActivityFailure {
        switch error {
        case let error as ActivityFailure: error
        case is ActivityCancelled:
            ActivityFailure(kind: "cancelled", message: "the activity was cancelled", retryable: false)
        case let error as AgentInputError:
            ActivityFailure(kind: "invalid_input", message: error.description, retryable: false)
        case let error as GraphError: ActivityFailure(kind: "graph_error", message: error.description, retryable: false)
        // A model's 4xx will fail again; its 429, 5xx and timeouts (after the client's own retries) may not.
        case let error as LLMError:
            ActivityFailure(kind: error.kind.rawValue, message: error.description, retryable: error.isRetryable)
        default: ActivityFailure(kind: "agent_error", message: "\(error)", retryable: true)
        }
    }
}

/// What a worker's `/metrics` says about its activities.
enum ActivityMetrics {
    static let running = Meter(label: "baton_worker_activities_running")

    /// A graph step's duration, from the end of the previous step's checkpoint.
    static func stepTime(agent: String) -> Metrics.Timer {
        Metrics.Timer(label: "baton_graph_step_seconds", dimensions: [("agent", agent)])
    }

    static func count(_ outcome: Result<AgentOutcome, any Error>, agent: String) {
        Counter(label: "baton_worker_activities_total", dimensions: [("agent", agent), ("outcome", name(of: outcome))])
            .increment()
    }

    static func name(of outcome: Result<AgentOutcome, any Error>) -> String {
        switch outcome {
        case .success(.completed): "completed"
        case .success(.interrupted): "interrupted"
        case .failure(is ActivityHandedBack): "handed_back"
        case .failure(is ActivityCancelled): "cancelled"
        case .failure: "failed"
        }
    }
}

/// Thrown inside an activity whose workflow asked it to stop.
struct ActivityCancelled: Error {}

/// The newest value reported by a running activity (its progress for the heartbeat
/// timer, its usage for the completion's KPIs, its end checkpoint until the outcome).
final class Latest<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)

    func set(_ newValue: Value) { value.withLock { $0 = newValue } }
    func get() -> Value? { value.withLock { $0 } }
    func take() -> Value? { value.withLock { $0.take() } }
}
