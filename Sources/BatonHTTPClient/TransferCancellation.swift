import Synchronization

/// Set from a task's cancellation handler (any thread), read by libcurl's callbacks on
/// the transfer's thread, which then abort the transfer.
final class TransferCancellation: Sendable {
    private let cancelled = Atomic(false)

    func cancel() { cancelled.store(true, ordering: .relaxed) }

    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
}
