/// What one activity's events may carry, set by the scheduler in its command
/// (`limits` in the scheduler's configuration) and enforced by the worker as it
/// encodes them: over a limit, the attempt fails with the limit's own error kind, not
/// retried, instead of sending a message the scheduler cannot take (an event over
/// `ContractVersion.maximumMessageBytes` was set aside as a dead letter, and its
/// workflow then waited, heartbeats and all, for a checkpoint that never came).
public struct ActivityLimits: Codable, Sendable, Hashable {
    /// One checkpoint event: the state, or its change from the previous checkpoint.
    public var maxCheckpointBytes: Int
    /// The completed event: the result.
    public var maxResultBytes: Int
    /// The interrupted event: the question and what it shows.
    public var maxInterruptBytes: Int

    public static let standard = ActivityLimits(
        maxCheckpointBytes: 4 * 1024 * 1024, maxResultBytes: 1024 * 1024, maxInterruptBytes: 256 * 1024)

    public init(maxCheckpointBytes: Int, maxResultBytes: Int, maxInterruptBytes: Int) {
        self.maxCheckpointBytes = maxCheckpointBytes
        self.maxResultBytes = maxResultBytes
        self.maxInterruptBytes = maxInterruptBytes
    }

    /// The failure of an event of `kind` that is `bytes` long once encoded, or nil when
    /// it fits. No event may pass the message limit, whatever the command says.
    public func failure(for kind: WorkerEvent.Kind, bytes: Int) -> ActivityFailure? {
        let (limit, errorKind, setting, what): (Int, String, String, String) =
            switch kind {
            case .checkpointed:
                (maxCheckpointBytes, "checkpoint_too_large", "limits.max_checkpoint_bytes", "a checkpoint")
            case .completed: (maxResultBytes, "result_too_large", "limits.max_result_bytes", "the result")
            case .interrupted: (maxInterruptBytes, "interrupt_too_large", "limits.max_interrupt_bytes", "the question")
            default: (Int.max, "event_too_large", "", "an event")
            }
        let message = ContractVersion.maximumMessageBytes
        if bytes > min(limit, message) {
            let cap =
                limit <= message
                ? "\(limit) bytes (the scheduler's \(setting))" : "\(message) bytes (the message limit)"
            return ActivityFailure(
                kind: limit <= message ? errorKind : "event_too_large",
                message:
                    "\(what) of \(bytes) bytes is over \(cap); keep large data out of the graph's state (store it elsewhere and keep a reference)",
                retryable: false)
        }
        return nil
    }
}
