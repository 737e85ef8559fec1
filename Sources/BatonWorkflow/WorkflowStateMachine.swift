import BatonContracts
import Foundation

/// The life of one workflow as a pure value: an event in, actions out.
///
/// No I/O, no clock, no randomness: `now` and a uniform `random` draw are arguments,
/// so the same inputs always give the same state and actions. That is what lets the
/// simulation test drive millions of event orders, and any scheduler replica resume
/// any workflow from its persisted value. The scheduler saves this value with the
/// workflow row and executes the returned actions in the same transaction.
public struct WorkflowStateMachine: Sendable, Hashable, Codable {
    public enum State: Sendable, Hashable, Codable {
        case pending
        /// A command for `attempt` is on its way to a worker.
        case dispatched(attempt: Int, since: Date)
        /// `lease` is the worker that started the attempt; only its events count.
        case running(attempt: Int, lease: String, lastHeartbeat: Date)
        /// Waiting before the next attempt, after `failure`.
        case backingOff(until: Date, failure: ActivityFailure)
        /// The graph asked a person, or waits for a child workflow; no worker is busy with it.
        case awaitingInput(request: InterruptRequest)
        /// The running attempt was asked to stop.
        case cancelling(attempt: Int, lease: String?, reason: String)
        /// An operator paused it; `resumeRequested` dispatches the next attempt.
        case paused
        case completed
        case failed(ActivityFailure)
        case cancelled(reason: String)
        case timedOut(ActivityFailure)
    }

    public private(set) var state: State
    /// Set by `handle` for the duration of one decision; never saved.
    private var newLeaseToken: String?
    /// The fencing token: the latest attempt dispatched, 0 before the first. Never decreases.
    public private(set) var attempt: Int
    /// Failed attempts so far (interrupt resumptions are not failures).
    public private(set) var failures: Int
    /// The step of the newest stored checkpoint.
    public private(set) var checkpointStep: Int?
    /// The latest human answer, handed to every attempt until the graph moves past it.
    public private(set) var humanInput: JSONValue?
    /// Timers armed and not yet fired or cancelled, so that only those are cancelled.
    public private(set) var timers: Set<WorkflowTimer> = []
    /// The secret of the current attempt, sent in its command; events must carry it.
    /// Nil for attempts dispatched before tokens existed (their events carry none).
    public private(set) var leaseToken: String?
    /// When the broker said the current attempt's command was delivered again: a hint
    /// that its worker may be gone. Cleared by any sign of life from the attempt; if
    /// none comes before the lease check, the worker is taken as lost.
    public private(set) var redeliveredAt: Date?
    /// The current attempt's lease holder said its command connection came back after a
    /// loss (a heartbeat with `reconnected`): the broker requeued its commands while it
    /// lived, so a redelivery of this attempt's command proves nothing about its death.
    /// False again for every new attempt.
    public private(set) var leaseHolderReconnected: Bool
    /// Attempts in a row that ended with their worker lost, with no checkpoint between.
    public private(set) var workerCrashes: Int
    /// The node the attempt last reported, for the `worker_crashed` message.
    public private(set) var lastNode: String?
    /// An operator asked for a pause that has not taken effect yet: the running attempt
    /// stops at its next checkpoint, and whatever would dispatch the next attempt (an
    /// answer, a backoff's end, a hand-back) pauses instead.
    public private(set) var pauseRequested: Bool
    /// The agent, for messages; nil in machines saved before it was kept.
    public let agent: String?
    /// The workflow that started this one as its child, told when this one ends.
    public let parentId: String?
    public let options: WorkflowOptions
    /// Entries of the workflow's history applied so far (`WorkflowEvent.isKeptInHistory`,
    /// not ignored), for the cap on its length; machines saved before it was counted
    /// start from 0.
    public private(set) var historyLength: Int

    /// `resumingFrom`: the step of a checkpoint the workflow starts from, stored with
    /// it before it is submitted (a fork or retry of another workflow).
    public init(options: WorkflowOptions, agent: String? = nil, parentId: String? = nil, resumingFrom step: Int? = nil)
    {
        self.checkpointStep = step
        self.state = .pending
        self.attempt = 0
        self.failures = 0
        self.workerCrashes = 0
        self.leaseHolderReconnected = false
        self.pauseRequested = false
        self.historyLength = 0
        self.options = options
        self.agent = agent
        self.parentId = parentId
    }

    enum CodingKeys: String, CodingKey {
        case state, attempt, failures, checkpointStep, humanInput, timers, leaseToken, redeliveredAt, workerCrashes
        case leaseHolderReconnected, lastNode, agent, parentId, options, pauseRequested, historyLength
    }

    /// Machines saved by earlier versions lack the newer fields: they take their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        state = try c.decode(State.self, forKey: .state)
        attempt = try c.decode(Int.self, forKey: .attempt)
        failures = try c.decode(Int.self, forKey: .failures)
        checkpointStep = try c.decodeIfPresent(Int.self, forKey: .checkpointStep)
        // A null answer is an answer: present as null, it must not read back as none.
        humanInput = c.contains(.humanInput) ? .some(try c.decode(JSONValue.self, forKey: .humanInput)) : .none
        timers = try c.decode(.timers, default: [])
        leaseToken = try c.decodeIfPresent(String.self, forKey: .leaseToken)
        redeliveredAt = try c.decodeIfPresent(Date.self, forKey: .redeliveredAt)
        workerCrashes = try c.decode(.workerCrashes, default: 0)
        leaseHolderReconnected = try c.decode(.leaseHolderReconnected, default: false)
        lastNode = try c.decodeIfPresent(String.self, forKey: .lastNode)
        pauseRequested = try c.decode(.pauseRequested, default: false)
        historyLength = try c.decode(.historyLength, default: 0)
        agent = try c.decodeIfPresent(String.self, forKey: .agent)
        parentId = try c.decodeIfPresent(String.self, forKey: .parentId)
        options = try c.decode(WorkflowOptions.self, forKey: .options)
    }

    public var status: WorkflowStatus {
        switch state {
        case .pending: .pending
        case .dispatched: .dispatched
        case .running: .running
        case .backingOff: .backingOff
        case .awaitingInput: .awaitingInput
        case .cancelling: .cancelling
        case .paused: .paused
        case .completed: .completed
        case .failed: .failed
        case .cancelled: .cancelled
        case .timedOut: .timedOut
        }
    }

    public var isTerminal: Bool { status.isTerminal }

    /// Feeds one event. `random` is a uniform draw in [0, 1) used for retry jitter;
    /// `newLeaseToken` is a fresh secret, used only if this event dispatches an attempt
    /// (the caller draws it: the machine has no randomness of its own). `historyLimit`:
    /// the most entries the workflow's history may hold; the event that reaches it fails
    /// the workflow (`history_too_long`, not retried), so that an agent in an endless loop
    /// cannot grow its history without bound.
    public mutating func handle(
        _ event: WorkflowEvent, now: Date, random: Double, newLeaseToken: String? = nil, historyLimit: Int? = nil
    ) -> [WorkflowAction] {
        if case .timerFired(let timer, _) = event { timers.remove(timer) }
        self.newLeaseToken = newLeaseToken
        defer { self.newLeaseToken = nil }
        let wasTerminal = isTerminal
        var actions = decide(event, now: now, random: random)
        // What is refused or ignored changes nothing, its count included (it is kept in the
        // history marked ignored, bounded by what others send, not by the agent's loop);
        // nor does what reaches an ended workflow, whose machine is no longer saved.
        let changesNothing = actions.contains {
            switch $0 {
            case .reject, .ignore: true
            default: false
            }
        }
        if event.isKeptInHistory && !changesNothing && !wasTerminal {
            historyLength += 1
            if let historyLimit, historyLength >= historyLimit, !isTerminal {
                actions += stopRunningAttempt() + finish(.failed(Self.historyTooLong(historyLimit)))
            }
        }
        // Keep `timers` in step with what the executor will have stored, and drop
        // cancellations of timers that are not armed: they would be wasted statements.
        return actions.filter { action in
            switch action {
            case .setTimer(let timer, _, _):
                timers.insert(timer)
                return true
            case .cancelTimer(let timer):
                return timers.remove(timer) != nil
            default:
                return true
            }
        }
    }

    private mutating func decide(_ event: WorkflowEvent, now: Date, random: Double) -> [WorkflowAction] {
        switch event {
        case .submitted:
            return submitted(now: now)
        case .worker(let kind, let eventAttempt, let workerId, let token):
            return workerEvent(kind, attempt: eventAttempt, workerId: workerId, token: token, now: now, random: random)
        case .humanInput(let answer):
            return answered(answer, now: now)
        case .cancelRequested(let reason):
            return cancelRequested(reason: reason, now: now)
        case .pauseRequested:
            return pauseRequested(now: now)
        case .resumeRequested:
            return resumeRequested(now: now)
        case .terminateRequested(let reason):
            if isTerminal { return [.ignore(.alreadyTerminal)] }
            return stopRunningAttempt() + finish(.terminated(reason: reason))
        case .timerFired(let timer, let timerAttempt):
            return timerFired(timer, attempt: timerAttempt, now: now, random: random)
        case .childEnded(let outcome):
            return childEnded(outcome, now: now)
        }
    }

    // MARK: Events

    private mutating func submitted(now: Date) -> [WorkflowAction] {
        if isTerminal { return [.ignore(.alreadyTerminal)] }
        guard case .pending = state else { return [.ignore(.duplicate)] }
        var actions: [WorkflowAction] = []
        if let limit = options.executionTimeoutSeconds {
            actions.append(.setTimer(.execution, at: Self.deadline(now, plus: limit), attempt: 0))
        }
        return actions + dispatchNextAttempt(now: now)
    }

    private mutating func workerEvent(
        _ kind: WorkerEvent.Kind, attempt eventAttempt: Int, workerId: String, token: String?, now: Date,
        random: Double
    ) -> [WorkflowAction] {
        // A worker still running an attempt that no longer counts (a zombie, a duplicate
        // command, a command that arrived after the workflow ended) is told to stop: it
        // would otherwise run the whole graph — and pay for its model calls — for nothing.
        func ignoredWhileRunning(_ reason: WorkflowAction.IgnoreReason) -> [WorkflowAction] {
            guard kind.meansStillRunning else { return [.ignore(reason)] }
            return [.ignore(reason), .cancelActivity(attempt: eventAttempt, lease: workerId)]
        }
        if isTerminal { return ignoredWhileRunning(.alreadyTerminal) }
        guard eventAttempt == attempt else { return ignoredWhileRunning(.staleAttempt) }
        if let leaseToken, !LeaseToken.matches(leaseToken, token) { return [.ignore(.badLeaseToken)] }
        let lease: String?
        switch state {
        case .dispatched: lease = nil
        case .running(_, let holder, _): lease = holder
        case .cancelling(_, let holder, _): lease = holder
        case .backingOff:
            // The attempt was given up (a heartbeat timeout: its events were late, stuck
            // behind an outage) but no other has started: what it still achieved counts.
            switch kind {
            case .checkpointed(let checkpoint):
                if let checkpointStep, checkpoint.step <= checkpointStep { return [.ignore(.duplicate)] }
                checkpointStep = checkpoint.step
                return [.storeCheckpoint(checkpoint)]
            case .completed(let output):
                return finish(.completed(output))
            default:
                return [.ignore(.unexpected)]
            }
        default: return [.ignore(.unexpected)]  // the attempt already ended (waiting for input)
        }
        // The broker gave the attempt's command to a worker again: its first worker lost
        // its connection, but may be alive (a broker restart cuts every connection).
        // If the connection that received it is older than the lease check, the broker
        // has not restarted meanwhile and the first worker, silent about a reconnection,
        // died or was cut off: the next attempt starts at once. Otherwise only silence
        // decides: if no sign of life comes within the lease check, the worker is lost
        // (see docs/architecture.md, "Redelivery is a hint").
        if case .redelivered(let connectionAge) = kind {
            if case .cancelling(_, _, let reason) = state { return finish(.cancelled(reason: reason)) }
            guard redeliveredAt == nil else { return [.ignore(.duplicate)] }
            if let connectionAge, connectionAge >= options.leaseCheckSeconds, !leaseHolderReconnected {
                return stopRunningAttempt() + workerLost(now: now, random: random)
            }
            redeliveredAt = now
            var check = Self.deadline(now, plus: options.leaseCheckSeconds)
            if case .running(_, _, let lastHeartbeat) = state {
                check = min(check, Self.deadline(lastHeartbeat, plus: options.heartbeatTimeoutSeconds))
            }
            return [.setTimer(.heartbeat, at: check, attempt: attempt)]
        }
        if let lease, lease != workerId { return ignoredWhileRunning(.staleLease) }
        // A draining worker returns its attempt (or a command it will not start): not a failure.
        if case .handedBack = kind {
            if case .cancelling(_, _, let reason) = state { return finish(.cancelled(reason: reason)) }
            return cancelAttemptTimers() + dispatchOrPause(now: now)
        }

        switch kind {
        case .started:
            guard case .dispatched = state else { return [.ignore(.duplicate)] }
            return started(by: workerId, now: now)
        case .heartbeat(let progress, let reconnected):
            var actions = markAlive(by: workerId, now: now)
            if reconnected { leaseHolderReconnected = true }
            if let progress {
                lastNode = progress.node ?? lastNode
                actions.append(.recordProgress(progress))
            }
            return actions
        case .progress(let progress):
            lastNode = progress.node ?? lastNode
            return markAlive(by: workerId, now: now) + [.recordProgress(progress)]
        case .checkpointed(let checkpoint):
            if let checkpointStep, checkpoint.step <= checkpointStep { return [.ignore(.duplicate)] }
            let actions = markAlive(by: workerId, now: now)
            checkpointStep = checkpoint.step
            workerCrashes = 0  // the attempt made progress: earlier crashes were not its input's fault
            return actions + [.storeCheckpoint(checkpoint)]
        case .interrupted(let request):
            if case .cancelling(_, _, let reason) = state { return finish(.cancelled(reason: reason)) }
            state = .awaitingInput(request: request)
            // The child may have ended before this wait began (a fast child, or a resumed
            // graph waiting again): if so, its outcome comes back as `childEnded`.
            let check = request.childWorkflowId.map { [WorkflowAction.checkChildEnded($0)] } ?? []
            return cancelAttemptTimers() + [.recordInterrupt(request)] + check
        case .completed(let output):
            // A cancel that was accepted is kept: the person was told the workflow stops.
            if case .cancelling(_, _, let reason) = state { return finish(.cancelled(reason: reason)) }
            return finish(.completed(output))
        case .failed(let failure):
            if case .cancelling(_, _, let reason) = state { return finish(.cancelled(reason: reason)) }
            return attemptFailed(failure, now: now, random: random, retryAtOnce: false)
        case .redelivered, .handedBack:
            return []  // handled above
        }
    }

    private mutating func answered(_ answer: JSONValue, now: Date) -> [WorkflowAction] {
        if isTerminal { return [.ignore(.alreadyTerminal)] }
        guard case .awaitingInput(let request) = state else { return [.ignore(.unexpected)] }
        if let child = request.childWorkflowId { return [.reject(.waitsForChildWorkflow(child))] }
        if let problem = request.problem(with: answer) {
            return [.reject(.answerDoesNotFit(question: request.title, problem: problem))]
        }
        humanInput = answer
        return dispatchOrPause(now: now)
    }

    private mutating func childEnded(_ outcome: ChildWorkflowOutcome, now: Date) -> [WorkflowAction] {
        if isTerminal { return [.ignore(.alreadyTerminal)] }
        guard case .awaitingInput(let request) = state, request.childWorkflowId == outcome.id else {
            return [.ignore(.unexpected)]  // not (or no longer) waiting for this child
        }
        humanInput = Self.answer(outcome)
        return dispatchOrPause(now: now)
    }

    /// A child's outcome as the answer its parent's graph reads.
    private static func answer(_ outcome: ChildWorkflowOutcome) -> JSONValue {
        // Plain values only: the tree encoder cannot fail on them, and no trap if it did.
        (try? JSONValue(encoding: outcome)) ?? .object(["id": .string(outcome.id)])
    }

    private mutating func cancelRequested(reason: String, now: Date) -> [WorkflowAction] {
        switch state {
        case .completed, .failed, .cancelled, .timedOut:
            return [.ignore(.alreadyTerminal)]
        case .cancelling:
            return [.ignore(.duplicate)]
        case .pending, .backingOff, .awaitingInput, .paused:
            return finish(.cancelled(reason: reason))
        case .dispatched(let current, _):
            // The command may already be with a worker: ask it to stop if it starts.
            return [.cancelActivity(attempt: current, lease: nil)] + finish(.cancelled(reason: reason))
        case .running(let current, let lease, _):
            state = .cancelling(attempt: current, lease: lease, reason: reason)
            return cancelAttemptTimers() + [
                .cancelActivity(attempt: current, lease: lease),
                .setTimer(.cancelGrace, at: Self.deadline(now, plus: options.cancelGraceSeconds), attempt: current),
            ]
        }
    }

    private mutating func timerFired(
        _ timer: WorkflowTimer, attempt timerAttempt: Int, now: Date, random: Double
    ) -> [WorkflowAction] {
        if isTerminal { return [.ignore(.alreadyTerminal)] }
        if timer == .execution {
            let failure = ActivityFailure(
                kind: "execution_timeout",
                message:
                    "the workflow ran longer than its execution timeout of \(options.executionTimeoutSeconds ?? 0) s",
                retryable: false)
            return stopRunningAttempt() + finish(.timedOut(failure))
        }
        guard timerAttempt == attempt else { return [.ignore(.staleTimer)] }
        switch (timer, state) {
        case (.backoff, .backingOff):
            return dispatchOrPause(now: now)
        case (.scheduleToStart, .dispatched):
            return attemptFailed(
                timeout(
                    "schedule_to_start_timeout", "no worker started the attempt", options.scheduleToStartTimeoutSeconds),
                now: now, random: random, retryAtOnce: false)
        case (.startToClose, .running):
            return stopRunningAttempt()
                + attemptFailed(
                    timeout("start_to_close_timeout", "the attempt ran too long", options.startToCloseTimeoutSeconds),
                    now: now, random: random, retryAtOnce: false)
        case (.heartbeat, .running(_, _, let lastHeartbeat)):
            if redeliveredAt != nil { return stopRunningAttempt() + workerLost(now: now, random: random) }
            let deadline = Self.deadline(lastHeartbeat, plus: options.heartbeatTimeoutSeconds)
            if now < deadline {
                // Heartbeats arrived since the timer was set: wait for the new deadline.
                return [.setTimer(.heartbeat, at: deadline, attempt: attempt)]
            }
            return stopRunningAttempt()
                + attemptFailed(
                    timeout("heartbeat_timeout", "no heartbeat from the worker", options.heartbeatTimeoutSeconds),
                    now: now, random: random, retryAtOnce: false)
        case (.heartbeat, .dispatched) where redeliveredAt != nil:
            return stopRunningAttempt() + workerLost(now: now, random: random)
        case (.cancelGrace, .cancelling(_, _, let reason)):
            return finish(.cancelled(reason: reason))
        default:
            return [.ignore(.staleTimer)]
        }
    }

    private mutating func pauseRequested(now: Date) -> [WorkflowAction] {
        switch state {
        case .completed, .failed, .cancelled, .timedOut: return [.ignore(.alreadyTerminal)]
        case .paused: return [.ignore(.duplicate)]
        case .cancelling: return [.ignore(.unexpected)]
        case .pending, .backingOff:
            state = .paused
            return [.cancelTimer(.backoff)]
        case .dispatched(let current, _):
            // No worker has reported it: stop whichever may have it; a resume dispatches anew.
            state = .paused
            return cancelAttemptTimers() + [.cancelActivity(attempt: current, lease: nil)]
        case .running(let current, let lease, _):
            if pauseRequested { return [.ignore(.duplicate)] }
            pauseRequested = true
            return [.pauseActivity(attempt: current, lease: lease)]
        case .awaitingInput:
            // The question stays; the answer is kept, and the next attempt waits for a resume.
            if pauseRequested { return [.ignore(.duplicate)] }
            pauseRequested = true
            return []
        }
    }

    private mutating func resumeRequested(now: Date) -> [WorkflowAction] {
        if isTerminal { return [.ignore(.alreadyTerminal)] }
        if case .paused = state {
            pauseRequested = false
            return dispatchNextAttempt(now: now)
        }
        // A pause not yet in effect is withdrawn; a worker told to hand back still may,
        // and its hand-back then dispatches the next attempt at once.
        guard pauseRequested else { return [.ignore(.unexpected)] }
        pauseRequested = false
        return []
    }

    /// The next attempt, unless an operator asked for a pause: then the workflow waits.
    private mutating func dispatchOrPause(now: Date) -> [WorkflowAction] {
        guard pauseRequested else { return dispatchNextAttempt(now: now) }
        pauseRequested = false
        let clear: [WorkflowAction] = if case .awaitingInput = state { [.clearInterrupt] } else { [] }
        state = .paused
        return clear
    }

    // MARK: Transitions

    private mutating func started(by workerId: String, now: Date) -> [WorkflowAction] {
        state = .running(attempt: attempt, lease: workerId, lastHeartbeat: now)
        redeliveredAt = nil
        var actions: [WorkflowAction] = [
            .cancelTimer(.scheduleToStart),
            .setTimer(.heartbeat, at: Self.deadline(now, plus: options.heartbeatTimeoutSeconds), attempt: attempt),
        ]
        if let limit = options.startToCloseTimeoutSeconds {
            actions.append(.setTimer(.startToClose, at: Self.deadline(now, plus: limit), attempt: attempt))
        }
        return actions
    }

    /// Any sign of life from the current attempt means it runs; a heartbeat that beat
    /// its `started` (reordering) starts it.
    private mutating func markAlive(by workerId: String, now: Date) -> [WorkflowAction] {
        switch state {
        case .dispatched:
            return started(by: workerId, now: now)
        case .running(let current, let lease, _):
            state = .running(attempt: current, lease: lease, lastHeartbeat: now)
            if redeliveredAt != nil {
                // The hint was wrong: the worker is alive. Back to the heartbeat deadline.
                redeliveredAt = nil
                return [
                    .setTimer(
                        .heartbeat, at: Self.deadline(now, plus: options.heartbeatTimeoutSeconds), attempt: current)
                ]
            }
            return []
        default:
            return []
        }
    }

    private mutating func attemptFailed(
        _ failure: ActivityFailure, now: Date, random: Double, retryAtOnce: Bool
    ) -> [WorkflowAction] {
        failures += 1
        let timers = cancelAttemptTimers()
        guard options.retry.isRetryable(failure), failures < options.retry.maximumAttempts else {
            return failure.kind.hasSuffix("_timeout") ? finish(.timedOut(failure)) : finish(.failed(failure))
        }
        if retryAtOnce { return timers + dispatchOrPause(now: now) }
        let until = Self.deadline(now, plus: options.retry.delay(afterFailure: failures, random: random))
        state = .backingOff(until: until, failure: failure)
        return timers + [.setTimer(.backoff, at: until, attempt: attempt)]
    }

    /// The attempt's worker is gone: silent after its command was redelivered, or its
    /// command came back on a connection older than the lease check. The first loss re-dispatches at once (a crash is usually the machine's, not the
    /// input's); later ones back off; `maximumWorkerCrashes` in a row without a
    /// checkpoint quarantine the workflow, so that an input that kills its worker
    /// cannot take a fleet down one worker at a time.
    private mutating func workerLost(now: Date, random: Double) -> [WorkflowAction] {
        redeliveredAt = nil
        workerCrashes += 1
        let timers = cancelAttemptTimers()
        guard workerCrashes < options.maximumWorkerCrashes else {
            let node = lastNode.map { " (node '\($0)')" } ?? ""
            let step = checkpointStep.map { "after checkpoint step \($0)" } ?? "before its first checkpoint"
            return finish(
                .failed(
                    ActivityFailure(
                        kind: "worker_crashed",
                        message:
                            "the worker running agent '\(agent ?? "?")' died \(workerCrashes) times in a row \(step)\(node); "
                            + "the workflow is quarantined so that it cannot stop more workers: check its input and "
                            + "the workers' logs, then resubmit",
                        retryable: false)))
        }
        if workerCrashes == 1 { return timers + dispatchOrPause(now: now) }
        let until = Self.deadline(now, plus: options.retry.delay(afterFailure: workerCrashes - 1, random: random))
        state = .backingOff(
            until: until,
            failure: ActivityFailure(
                kind: "worker_lost", message: "the worker running the attempt went away", retryable: true))
        return timers + [.setTimer(.backoff, at: until, attempt: attempt)]
    }

    private mutating func dispatchNextAttempt(now: Date) -> [WorkflowAction] {
        var actions: [WorkflowAction] = []
        if case .awaitingInput = state { actions.append(.clearInterrupt) }
        attempt += 1
        state = .dispatched(attempt: attempt, since: now)
        redeliveredAt = nil
        leaseHolderReconnected = false
        leaseToken = newLeaseToken
        actions.append(
            .dispatch(attempt: attempt, resumeFromStep: checkpointStep, humanInput: humanInput, leaseToken: leaseToken))
        if let limit = options.scheduleToStartTimeoutSeconds {
            actions.append(.setTimer(.scheduleToStart, at: Self.deadline(now, plus: limit), attempt: attempt))
        }
        return actions
    }

    /// `now + seconds`, saturated: options are validated, but a machine must never trap,
    /// whatever a stored value says. At most a century ahead; NaN counts as 0.
    static func deadline(_ now: Date, plus seconds: Double) -> Date {
        let bounded = seconds.isNaN ? 0 : min(max(seconds, 0), 3_155_760_000)
        return now.addingTimeInterval(bounded)
    }

    /// Asks the worker of a running attempt to stop (its later events are stale anyway).
    private func stopRunningAttempt() -> [WorkflowAction] {
        switch state {
        case .running(let current, let lease, _): [.cancelActivity(attempt: current, lease: lease)]
        case .dispatched(let current, _): [.cancelActivity(attempt: current, lease: nil)]
        case .cancelling(let current, let lease, _): [.cancelActivity(attempt: current, lease: lease)]
        default: []
        }
    }

    /// How a workflow can end; `finish` takes only these, so no other state can be made final.
    private enum Ending {
        case completed(JSONValue)
        case failed(ActivityFailure)
        case cancelled(reason: String)
        case terminated(reason: String)
        case timedOut(ActivityFailure)
    }

    private mutating func finish(_ ending: Ending) -> [WorkflowAction] {
        var actions = cancelAllTimers()
        redeliveredAt = nil
        pauseRequested = false
        switch ending {
        case .completed(let output):
            state = .completed
            actions.append(.recordResult(output))
        case .failed(let failure):
            state = .failed(failure)
            actions.append(.recordError(failure))
        case .cancelled(let reason):
            state = .cancelled(reason: reason)
            actions.append(.recordError(ActivityFailure(kind: "cancelled", message: reason, retryable: false)))
        case .terminated(let reason):
            state = .cancelled(reason: reason)
            actions.append(.recordError(ActivityFailure(kind: "terminated", message: reason, retryable: false)))
        case .timedOut(let failure):
            state = .timedOut(failure)
            actions.append(.recordError(failure))
        }
        if let parentId { actions.append(.notifyParent(parentId: parentId)) }
        // A completed workflow's children run on: it did not wait for them.
        if status != .completed { actions.append(.cancelChildren(parentEnded: status)) }
        return actions
    }

    private func cancelAttemptTimers() -> [WorkflowAction] {
        [.cancelTimer(.scheduleToStart), .cancelTimer(.startToClose), .cancelTimer(.heartbeat)]
    }

    private func cancelAllTimers() -> [WorkflowAction] {
        WorkflowTimer.allCases.map { .cancelTimer($0) }
    }

    static func historyTooLong(_ limit: Int) -> ActivityFailure {
        ActivityFailure(
            kind: "history_too_long",
            message:
                "the workflow's history reached \(limit) entries (limits.max_history_entries of the scheduler): "
                + "an agent that loops without end, or one to split into child workflows",
            retryable: false)
    }

    private func timeout(_ kind: String, _ what: String, _ seconds: Double?) -> ActivityFailure {
        ActivityFailure(kind: kind, message: "\(what) within \(seconds ?? 0) s", retryable: true)
    }
}

extension WorkerEvent.Kind {
    /// Sent by a worker whose activity goes on (as opposed to one that just ended it).
    var meansStillRunning: Bool {
        switch self {
        case .started, .heartbeat, .progress, .checkpointed: true
        case .interrupted, .completed, .failed, .redelivered, .handedBack: false
        }
    }
}
