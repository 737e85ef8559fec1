import Synchronization

/// What the dispatch gate last found, for dispatches made meanwhile on this replica:
/// while workers have slots left over and the dispatching tenant has nothing waiting,
/// a run command goes to the outbox at once instead of through the queue, so that a
/// lightly loaded scheduler adds no hop to a workflow's start (W2). Under load the
/// slots run out and every command waits its tenant's turn.
///
/// An estimate: the gate sets it anew at each round, and each replica has its own,
/// so replicas may together admit a few more than there are slots; those wait in the
/// broker's queue, as every command did before fair dispatch.
final class DispatchAdmission: Sendable {
    private struct State {
        var freeSlots = 0
        var waiting: Set<String> = []
        var running: [String: Int] = [:]
    }
    private let state = Mutex(State())
    let policy: FairnessConfiguration

    init(policy: FairnessConfiguration) { self.policy = policy }

    /// The gate's finding: slots left after its releases, the tenants still waiting,
    /// and what each tenant runs (its releases included).
    func update(freeSlots: Int, waiting: Set<String>, running: [String: Int]) {
        state.withLock { $0 = State(freeSlots: max(0, freeSlots), waiting: waiting, running: running) }
    }

    /// Takes a slot for `tenant` if one is left, none of its commands wait, and it is
    /// below its `max_running`.
    func admitDirectly(_ tenant: String) -> Bool {
        state.withLock { state in
            guard state.freeSlots > 0, !state.waiting.contains(tenant) else { return false }
            if let limit = policy.maxRunning(of: tenant), state.running[tenant, default: 0] >= limit { return false }
            state.freeSlots -= 1
            state.running[tenant, default: 0] += 1
            return true
        }
    }
}
