import BatonContracts
import Synchronization

/// Lets a cancel command, which arrives on the control exchange, reach the activity
/// it names: the activity waits here beside its agent and stops when woken.
final class ActivityCancellations: Sendable {
    struct Key: Hashable, Sendable {
        var workflowId: String
        var attempt: Int
    }

    private struct Entry {
        var cancelled = false
        /// An operator paused the workflow: hand the activity back at its next checkpoint.
        var pauseRequested = false
        var waiter: CheckedContinuation<Void, Never>?
        /// The command, so that the worker can speak for the activity outside its run
        /// (a reconnection report).
        var activity: RunActivity?
    }
    private let entries = Mutex<[Key: Entry]>([:])

    func register(_ key: Key) {
        entries.withLock { $0[key] = Entry() }
    }

    /// Registers `key` unless it is registered already; false then. The consumer claims
    /// an activity as it accepts the command, so that a second copy arriving a moment
    /// later (before the first has even reported `started`) is recognised.
    func claim(_ key: Key, for activity: RunActivity? = nil) -> Bool {
        entries.withLock { entries in
            guard entries[key] == nil else { return false }
            entries[key] = Entry(activity: activity)
            return true
        }
    }

    /// The commands of the activities this worker runs now.
    var running: [RunActivity] {
        entries.withLock { $0.values.compactMap(\.activity) }
    }

    /// True while this worker runs the activity.
    func isRunning(_ key: Key) -> Bool {
        entries.withLock { $0[key] != nil }
    }

    func unregister(_ key: Key) {
        let waiter = entries.withLock { $0.removeValue(forKey: key)?.waiter }
        waiter?.resume()
    }

    /// Returns true if this worker runs the activity, which now stops at its next checkpoint.
    @discardableResult
    func pause(_ key: Key) -> Bool {
        entries.withLock { entries in
            guard entries[key] != nil else { return false }
            entries[key]?.pauseRequested = true
            return true
        }
    }

    func isPauseRequested(_ key: Key) -> Bool {
        entries.withLock { $0[key]?.pauseRequested ?? false }
    }

    /// Returns true if this worker runs the activity and it is now being cancelled.
    @discardableResult
    func cancel(_ key: Key) -> Bool {
        let (found, waiter) = entries.withLock { entries -> (Bool, CheckedContinuation<Void, Never>?) in
            guard entries[key] != nil else { return (false, nil) }
            entries[key]?.cancelled = true
            defer { entries[key]?.waiter = nil }
            return (true, entries[key]?.waiter)
        }
        waiter?.resume()
        return found
    }

    /// Returns when `key` is cancelled or unregistered, or the calling task is cancelled.
    /// Tells whether the activity was cancelled.
    func waitForCancellation(of key: Key) async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = entries.withLock { entries -> Bool in
                    guard let entry = entries[key], !entry.cancelled, !Task.isCancelled else { return true }
                    entries[key]?.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
            return entries.withLock { $0[key]?.cancelled ?? false }
        } onCancel: {
            let waiter = entries.withLock { entries -> CheckedContinuation<Void, Never>? in
                defer { entries[key]?.waiter = nil }
                return entries[key]?.waiter
            }
            waiter?.resume()
        }
    }
}
