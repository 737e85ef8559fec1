import BatonContracts

/// What a checkpoint's state changed from the run's checkpoint before it, as the runtime
/// knows it from the fields its step wrote: `delta` turns `base`, the state of checkpoint
/// `baseStep`, into the new checkpoint's state. A store that keeps changes (the worker
/// sends them to the scheduler) need not compare the two states.
public struct StateChange: Sendable, Hashable {
    /// The checkpoint before: the run's previous one, or for its first, the one it started
    /// or resumed from.
    public var baseStep: Int
    public var base: JSONValue
    public var delta: StateDelta

    public init(baseStep: Int, base: JSONValue, delta: StateDelta) {
        self.baseStep = baseStep
        self.base = base
        self.delta = delta
    }
}
