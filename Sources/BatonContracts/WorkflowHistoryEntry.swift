import Foundation

/// One entry of a workflow's history (`GET /v1/workflows/{id}/history`): every event the
/// scheduler received or produced for it, in order, including those it ignored (a
/// stale attempt's, a duplicate's) with the reason.
public struct WorkflowHistoryEntry: Sendable, Hashable, Codable {
    /// Increasing across all workflows; pass the last one seen as `after` to page.
    public var sequence: Int
    public var type: String
    public var attempt: Int
    /// `applied`, or `ignored: <reason>`.
    public var outcome: String
    public var payload: JSONValue?
    public var recordedAt: Date

    public init(sequence: Int, type: String, attempt: Int, outcome: String, payload: JSONValue?, recordedAt: Date) {
        self.sequence = sequence
        self.type = type
        self.attempt = attempt
        self.outcome = outcome
        self.payload = payload
        self.recordedAt = recordedAt
    }
}
