import Synchronization

/// The event queue consumers a replica runs, one task each, and how each ended.
///
/// Shared by the lease loop (which starts and releases consumers) and its watchdog
/// (which abandons them all when the leases could not be renewed in time).
final class RunningConsumers: Sendable {
    struct Finished: Sendable {
        let queue: String
        let end: EventQueueConsumer.End?
        /// It was asked to stop in order (its lease is to be released).
        let releasing: Bool
    }

    private struct Entry {
        let id: Int
        let task: Task<Void, Never>
        let control: EventQueueConsumer.Control
        var releasing = false
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var finished: [Finished] = []
        /// Abandoned consumers still closing their connections.
        var abandoned: [Int: Task<Void, Never>] = [:]
        var nextId = 0
    }

    private let state = Mutex(State())

    var queues: Set<String> { state.withLock { Set($0.entries.keys) } }
    var releasing: Set<String> { state.withLock { Set($0.entries.filter(\.value.releasing).keys) } }
    var isEmpty: Bool { state.withLock { $0.entries.isEmpty } }

    /// Starts `run` for `queue` unless a consumer of it is running.
    func start(
        _ queue: String, control: EventQueueConsumer.Control,
        run: @escaping @Sendable () async throws -> EventQueueConsumer.End
    ) {
        state.withLock { state in
            guard state.entries[queue] == nil else { return }
            state.nextId += 1
            let id = state.nextId
            // Unstructured, so that one consumer can be cancelled alone; the service
            // waits for every one before it returns.
            let task = Task {
                let end = try? await run()
                self.ended(queue, id: id, end: end)
            }
            state.entries[queue] = Entry(id: id, task: task, control: control)
        }
    }

    private func ended(_ queue: String, id: Int, end: EventQueueConsumer.End?) {
        state.withLock { state in
            // An abandoned consumer's end is of no interest: it is no longer listed.
            state.abandoned[id] = nil
            guard let entry = state.entries[queue], entry.id == id else { return }
            state.entries[queue] = nil
            state.finished.append(Finished(queue: queue, end: end, releasing: entry.releasing))
        }
    }

    /// Asks the consumer of `queue` to stop in order.
    func release(_ queue: String) {
        state.withLock { state in
            state.entries[queue]?.releasing = true
            state.entries[queue]?.control.release()
        }
    }

    func releaseAll() {
        for queue in queues { release(queue) }
    }

    /// Stops the consumers of `queues` at once (their leases may be lost).
    func abandon(_ queues: Set<String>) {
        let tasks = state.withLock { state in
            queues.compactMap { queue -> Task<Void, Never>? in
                guard let entry = state.entries.removeValue(forKey: queue) else { return nil }
                state.abandoned[entry.id] = entry.task
                return entry.task
            }
        }
        for task in tasks { task.cancel() }
    }

    /// Waits until every consumer, abandoned ones included, has closed its connection.
    func waitForAll() async {
        let tasks = state.withLock { Array($0.entries.values.map(\.task)) + Array($0.abandoned.values) }
        for task in tasks { await task.value }
    }

    func abandonAll() { abandon(queues) }

    func takeFinished() -> [Finished] {
        state.withLock { state in
            defer { state.finished.removeAll() }
            return state.finished
        }
    }

    var hasFinished: Bool { state.withLock { !$0.finished.isEmpty } }
}
