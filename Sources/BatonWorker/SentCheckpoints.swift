import BatonContracts
import BatonGraph
import Synchronization

/// What the activity's checkpoints look like on the wire: each carries the change from
/// the state of the one before (the first from the command's resume checkpoint), or its
/// whole state when there is none before it, when the scheduler did not ask for deltas
/// (`acceptsStateDeltas`), or when the delta would be larger. Called in order: the graph
/// waits for each checkpoint's publish before it goes on, and a failed publish ends the
/// activity, so the checkpoint handed out is the base of the next.
///
/// The change is the graph's own (`StateChange`, from the fields its step wrote) when it
/// starts from the state sent last, which it does unless the graph began from another
/// state than the command's checkpoint; else the two states are compared.
final class SentCheckpoints: Sendable {
    private let base: Mutex<(step: Int, state: JSONValue)?>
    private let deltas: Bool

    init(resumedFrom checkpoint: Checkpoint?, deltas: Bool) {
        self.deltas = deltas
        base = Mutex(checkpoint.flatMap { $0.isDelta ? nil : ($0.step, $0.state) })
    }

    /// The wire form of `checkpoint` (whole, from the graph, with the change the graph
    /// made to its state when it tells it), which becomes the next base.
    func next(_ checkpoint: Checkpoint, change: StateChange? = nil) -> Checkpoint {
        guard deltas else { return checkpoint }
        return base.withLock { base in
            defer { base = (checkpoint.step, checkpoint.state) }
            guard let base else { return checkpoint }
            // The same value, so the comparison finds the same storage and ends at once.
            if let change, change.baseStep == base.step, change.base == base.state {
                return checkpoint.sendingChanges(since: base.step, delta: change.delta)
            }
            return checkpoint.sendingChanges(since: base.step, state: base.state)
        }
    }
}
