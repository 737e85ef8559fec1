import BatonContracts
import Foundation

/// The life of one workflow as a pure value: an event in, actions out.
///
/// No I/O, no clock, no randomness: `now` is an argument, so the same events always
/// give the same state and actions. The scheduler persists this value with the
/// workflow row and executes the returned actions in the same transaction.
public struct WorkflowStateMachine: Sendable, Hashable, Codable {
    public enum State: Sendable, Hashable, Codable {
        case pending
        /// A command for `attempt` is on its way to a worker.
        case dispatched(attempt: Int, since: Date)
        case running(attempt: Int, lastHeartbeat: Date)
        case awaitingInput(attempt: Int, request: JSONValue)
        case completed
        case failed(ActivityFailure)
    }

    /// What the executor must do, in order, in the transaction that saves the new state.
    public enum Action: Sendable, Hashable {
        /// Publish a run command for `attempt`, resuming from the stored checkpoint of `resumeFromStep`.
        case dispatch(attempt: Int, resumeFromStep: Int?)
        case storeCheckpoint(Checkpoint)
        case recordProgress(ActivityProgress)
        case recordInterrupt(JSONValue)
        case recordResult(JSONValue)
        case recordFailure(ActivityFailure)
        /// The event was valid but changes nothing; it is kept in the history with this reason.
        case ignore(IgnoreReason)
    }

    public enum IgnoreReason: String, Sendable, Hashable, Codable {
        /// The event belongs to an attempt that is no longer current (a zombie worker).
        case staleAttempt = "stale_attempt"
        /// The workflow already reached a terminal state.
        case alreadyTerminal = "already_terminal"
        /// The event repeats one already applied.
        case duplicate
        /// The event does not fit the current state (e.g. a checkpoint before any dispatch).
        case unexpected
    }

    public private(set) var state: State
    /// The latest attempt dispatched; 0 before the first.
    public private(set) var attempt: Int
    /// The step of the newest stored checkpoint.
    public private(set) var checkpointStep: Int?
    public let options: WorkflowOptions

    public init(options: WorkflowOptions) {
        self.state = .pending
        self.attempt = 0
        self.checkpointStep = nil
        self.options = options
    }

    public var status: WorkflowStatus {
        switch state {
        case .pending: .pending
        case .dispatched: .dispatched
        case .running: .running
        case .awaitingInput: .awaitingInput
        case .completed: .completed
        case .failed: .failed
        }
    }

    // MARK: Events

    /// The workflow was accepted: dispatch its first attempt.
    public mutating func submitted(now: Date) -> [Action] {
        guard case .pending = state else { return [.ignore(.duplicate)] }
        return dispatchNextAttempt(now: now)
    }

    /// A worker reported on `attempt`.
    public mutating func workerEvent(_ kind: WorkerEvent.Kind, attempt eventAttempt: Int, now: Date) -> [Action] {
        if status.isTerminal { return [.ignore(.alreadyTerminal)] }
        guard eventAttempt == attempt else { return [.ignore(.staleAttempt)] }
        switch kind {
        case .started:
            guard case .dispatched = state else { return [.ignore(.duplicate)] }
            state = .running(attempt: attempt, lastHeartbeat: now)
            return []
        case .heartbeat(let progress):
            markAlive(now: now)
            return progress.map { [.recordProgress($0)] } ?? []
        case .progress(let progress):
            markAlive(now: now)
            return [.recordProgress(progress)]
        case .checkpointed(let checkpoint):
            if let checkpointStep, checkpoint.step <= checkpointStep { return [.ignore(.duplicate)] }
            markAlive(now: now)
            checkpointStep = checkpoint.step
            return [.storeCheckpoint(checkpoint)]
        case .interrupted(let request):
            if case .awaitingInput = state { return [.ignore(.duplicate)] }
            state = .awaitingInput(attempt: attempt, request: request)
            return [.recordInterrupt(request)]
        case .completed(let output):
            state = .completed
            return [.recordResult(output)]
        case .failed(let failure):
            if failure.retryable && attempt < options.maxAttempts {
                return dispatchNextAttempt(now: now)
            }
            state = .failed(failure)
            return [.recordFailure(failure)]
        }
    }

    // MARK: Helpers

    private mutating func dispatchNextAttempt(now: Date) -> [Action] {
        attempt += 1
        state = .dispatched(attempt: attempt, since: now)
        return [.dispatch(attempt: attempt, resumeFromStep: checkpointStep)]
    }

    /// Any sign of life from the current attempt means it is running.
    private mutating func markAlive(now: Date) {
        switch state {
        case .dispatched, .running:
            state = .running(attempt: attempt, lastHeartbeat: now)
        default:
            break
        }
    }
}
