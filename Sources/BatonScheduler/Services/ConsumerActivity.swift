import Synchronization

/// What this replica's event consumers are doing: since when each holds deliveries
/// not yet applied, and how many events they applied.
///
/// The broker counts only ready messages; deliveries a consumer took and has not yet
/// applied are invisible to it, so `EventsBacklogGate` asks here too (a loaded machine
/// once fired a heartbeat timeout while heartbeats sat unapplied in a prefetch).
final class ConsumerActivity: Sendable {
    private let holding = Mutex<[Int: ContinuousClock.Instant]>([:])
    private let nextId = Atomic<Int>(0)
    private let appliedEvents = Atomic<Int>(0)

    func makeId() -> Int { nextId.add(1, ordering: .relaxed).newValue }

    /// Consumer `id` took deliveries it has not applied yet.
    func hold(_ id: Int, since: ContinuousClock.Instant = .now) {
        holding.withLock { if $0[id] == nil { $0[id] = since } }
    }

    /// Consumer `id` applied and acknowledged (or gave back) everything it took.
    func settle(_ id: Int) {
        _ = holding.withLock { $0.removeValue(forKey: id) }
    }

    /// Since when the longest-waiting unapplied deliveries are held, if any are.
    var oldestHeld: ContinuousClock.Instant? { holding.withLock { $0.values.min() } }

    func applied(_ count: Int) { appliedEvents.add(count, ordering: .relaxed) }

    var appliedCount: Int { appliedEvents.load(ordering: .relaxed) }
}
