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
    /// A timer set by an earlier `setTimer` action came due.
    case timerFired(WorkflowTimer, attempt: Int)
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
