import BatonContracts
import Foundation

/// What the executor must do, in order, in the transaction that saves the new state.
public enum WorkflowAction: Sendable, Hashable {
    /// Publish a run command for `attempt`, resuming from the stored checkpoint of
    /// `resumeFromStep`, handing the graph `humanInput` when it waits for one; the
    /// command carries `leaseToken`, which the attempt's events must bring back.
    case dispatch(attempt: Int, resumeFromStep: Int?, humanInput: JSONValue?, leaseToken: String? = nil)
    /// Arm (or re-arm) the timer of this kind to fire at `at` for `attempt`.
    case setTimer(WorkflowTimer, at: Date, attempt: Int)
    case cancelTimer(WorkflowTimer)
    /// Ask the worker running `attempt` to stop: only the worker `lease` when given,
    /// else whichever runs it.
    case cancelActivity(attempt: Int, lease: String?)
    /// Ask the worker `lease` running `attempt` to hand it back at its next checkpoint.
    case pauseActivity(attempt: Int, lease: String)
    case storeCheckpoint(Checkpoint)
    case recordProgress(ActivityProgress)
    /// The graph waits for the answer to `request` (a person's, or a child's end).
    case recordInterrupt(InterruptRequest)
    /// The wait is over: the question shown until now is answered.
    case clearInterrupt
    case recordResult(JSONValue)
    /// The workflow ended without a result (failed, timed out or cancelled): why.
    case recordError(ActivityFailure)
    /// The workflow began to wait for this child: if it has already ended, deliver its
    /// outcome to the workflow as `childEnded`.
    case checkChildEnded(String)
    /// This workflow ended and has a parent: deliver the outcome to it as `childEnded`.
    case notifyParent(parentId: String)
    /// This workflow ended without completing: its unfinished children are cancelled,
    /// since their results would reach nobody.
    case cancelChildren(parentEnded: WorkflowStatus)
    /// The request is refused and nothing is recorded (an answer that does not fit).
    case reject(Rejection)
    /// The event was valid but changes nothing; the history keeps it with this reason.
    case ignore(IgnoreReason)

    /// Why a person's command was refused; the API answers with the message.
    public enum Rejection: Sendable, Hashable {
        /// The workflow waits for its child workflow, not for a person.
        case waitsForChildWorkflow(String)
        /// The answer does not fit the question (`problem` says how).
        case answerDoesNotFit(question: String, problem: String)
    }

    public enum IgnoreReason: String, Sendable, Hashable, Codable {
        /// From an attempt that is no longer current (a zombie worker).
        case staleAttempt = "stale_attempt"
        /// From a worker that does not hold the current attempt's lease (a duplicate command).
        case staleLease = "stale_lease"
        /// Without the current attempt's lease token: not from a receiver of its command.
        case badLeaseToken = "bad_lease_token"
        /// A timer armed for an earlier attempt or state.
        case staleTimer = "stale_timer"
        /// The workflow already reached a terminal state.
        case alreadyTerminal = "already_terminal"
        /// The event repeats one already applied.
        case duplicate
        /// The event does not fit the current state (e.g. an answer when no question is pending).
        case unexpected
    }
}

extension Sequence<WorkflowAction> {
    /// What an ended workflow may answer to any event: that it is ignored, and at most
    /// a request that a worker still running for it stop.
    public var isIgnoredAfterTheEnd: Bool {
        var ignored = false
        for action in self {
            switch action {
            case .ignore(.alreadyTerminal): ignored = true
            case .cancelActivity: continue
            default: return false
            }
        }
        return ignored
    }
}
