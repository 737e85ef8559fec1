import BatonContracts
import Synchronization

/// What the activity's checkpoints look like on the wire: each carries the change from
/// the state of the one before (the first from the command's resume checkpoint), or its
/// whole state when there is none before it, when the scheduler did not ask for deltas
/// (`acceptsStateDeltas`), or when the delta would be larger. Called in order: the graph
/// waits for each checkpoint's publish before it goes on, and a failed publish ends the
/// activity, so the checkpoint handed out is the base of the next.
final class SentCheckpoints: Sendable {
    private let base: Mutex<(step: Int, state: JSONValue)?>
    private let deltas: Bool

    init(resumedFrom checkpoint: Checkpoint?, deltas: Bool) {
        self.deltas = deltas
        base = Mutex(checkpoint.flatMap { $0.isDelta ? nil : ($0.step, $0.state) })
    }

    /// The wire form of `checkpoint` (whole, from the graph), which becomes the next base.
    func next(_ checkpoint: Checkpoint) -> Checkpoint {
        guard deltas else { return checkpoint }
        return base.withLock { base in
            defer { base = (checkpoint.step, checkpoint.state) }
            guard let base else { return checkpoint }
            return checkpoint.sendingChanges(since: base.step, state: base.state)
        }
    }
}
