import BatonContracts

/// Where checkpoints go. The worker ships them to the scheduler (which stores them in
/// PostgreSQL); tests and local tools keep them in memory.
public protocol CheckpointStore: Sendable {
    func save(_ checkpoint: Checkpoint, thread: String) async throws
    /// Every checkpoint of a thread, oldest first.
    func history(thread: String) async throws -> [Checkpoint]
}

extension CheckpointStore {
    public func latest(thread: String) async throws -> Checkpoint? { try await history(thread: thread).last }
}

/// Checkpoints in memory, by thread.
public actor InMemoryCheckpointStore: CheckpointStore {
    private var threads: [String: [Checkpoint]] = [:]

    public init() {}

    public func save(_ checkpoint: Checkpoint, thread: String) {
        threads[thread, default: []].append(checkpoint)
    }

    public func history(thread: String) -> [Checkpoint] { threads[thread] ?? [] }
}

extension GraphRunHooks {
    /// Hooks that save every checkpoint of a run in `store` under `thread`.
    public static func saving(to store: any CheckpointStore, thread: String) -> GraphRunHooks {
        GraphRunHooks(checkpoint: { try await store.save($0, thread: thread) })
    }
}
