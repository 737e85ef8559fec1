import BatonContracts

/// One event of a workflow's stream (`GET /v1/workflows/{id}/events`).
public enum WorkflowStreamEvent: Sendable, Hashable {
    /// The workflow as it is now: first, then at every change.
    case workflow(WorkflowView)
    /// A history entry; its `sequence` is the event's id.
    case history(WorkflowHistoryEntry)
    /// Text a model call is generating: live only, never stored, so not replayed after
    /// a reconnection (the answer itself comes in the history).
    case text(TextDelta)
    /// The workflow ended; the stream closes after this.
    case end(WorkflowView)
}
