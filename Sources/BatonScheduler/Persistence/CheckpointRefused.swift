/// A checkpoint whose state is a delta on a base that is not the newest stored
/// checkpoint: its state could not be rebuilt. Not retried: the event is set aside in
/// the dead-letter queue with this text as the reason.
struct CheckpointRefused: Error, CustomStringConvertible {
    var step: Int
    var workflowId: String
    var base: Int
    var newest: Int?

    var description: String {
        "checkpoint \(step) of workflow \(workflowId) is refused: it carries the change from checkpoint \(base), but the newest stored checkpoint is \(newest.map(String.init) ?? "none"), so its state could not be rebuilt"
    }
}
