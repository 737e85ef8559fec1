import BatonContracts

/// Everything that can happen to a workflow, as the state machine sees it.
public enum WorkflowEvent: Sendable, Hashable {
    case submitted
    /// A worker reported on `attempt`; `workerId` identifies the lease holder and
    /// `leaseToken` proves the event comes from someone who received the command.
    case worker(WorkerEvent.Kind, attempt: Int, workerId: String, leaseToken: String? = nil)
    /// A person answered the pending interrupt.
    case humanInput(JSONValue)
    case cancelRequested(reason: String)
    /// An operator asked that no further work be done until `resumeRequested`: a
    /// running attempt stops at its next checkpoint, a waiting one is not dispatched.
    case pauseRequested
    case resumeRequested
    /// An operator ended the workflow now: a running attempt is told to stop, with no
    /// grace and no wait for it.
    case terminateRequested(reason: String)
    /// A timer set by an earlier `setTimer` action came due.
    case timerFired(WorkflowTimer, attempt: Int)
    /// A child workflow of this one ended (the engine delivers it after a child's
    /// `notifyParent`), whether or not this workflow waits for it yet.
    case childEnded(ChildWorkflowOutcome)
}

extension WorkflowEvent {
    /// The attempt an event speaks for, when it names one.
    public var attempt: Int? {
        switch self {
        case .worker(_, let attempt, _, _), .timerFired(_, let attempt): attempt
        default: nil
        }
    }

    /// Whether the workflow's history keeps an entry for it: every event but a plain
    /// heartbeat (a long step sends thousands; a reconnection report is kept).
    public var isKeptInHistory: Bool {
        if case .worker(.heartbeat(_, reconnected: false), _, _, _) = self { return false }
        return true
    }

    /// The event's name in a workflow's history.
    public var historyType: String {
        switch self {
        case .submitted: "submitted"
        case .worker(let kind, _, _, _): kind.eventType.rawValue
        case .humanInput: "human_input"
        case .cancelRequested: "cancel_requested"
        case .pauseRequested: "pause_requested"
        case .resumeRequested: "resume_requested"
        case .terminateRequested: "terminate_requested"
        case .timerFired(let timer, _): "timer_\(timer.rawValue)"
        case .childEnded: "child_ended"
        }
    }
}

/// The timers a workflow may have; at most one of each kind is armed at a time.
public enum WorkflowTimer: String, Sendable, Hashable, Codable, CaseIterable {
    case scheduleToStart = "schedule_to_start"
    case startToClose = "start_to_close"
    case heartbeat
    case backoff
    case execution
    case cancelGrace = "cancel_grace"
}
