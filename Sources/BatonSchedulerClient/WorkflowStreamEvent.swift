import BatonContracts

/// One event of a workflow's stream (`GET /v1/workflows/{id}/events`).
public enum WorkflowStreamEvent: Sendable, Hashable {
    /// The workflow as it is now: first, then at every change.
    case workflow(WorkflowView)
    /// A history entry; its `sequence` is the event's id.
    case history(WorkflowHistoryEntry)
    /// The workflow ended; the stream closes after this.
    case end(WorkflowView)
}
