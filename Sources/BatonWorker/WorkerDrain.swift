import Foundation
import Synchronization

/// A worker's graceful stop (SIGTERM): take no new command, let each running activity
/// reach its next checkpoint, hand it back so another worker resumes it at once.
final class WorkerDrain: Sendable {
    private struct State {
        var since: ContinuousClock.Instant?
        var running = 0
    }
    private let state = Mutex(State())

    func begin() { state.withLock { if $0.since == nil { $0.since = .now } } }

    var isDraining: Bool { state.withLock { $0.since != nil } }

    /// True once draining and every activity has been handed back, or the time is up.
    func isFinished(timeout: Duration) -> Bool {
        state.withLock { state in
            guard let since = state.since else { return false }
            return state.running == 0 || ContinuousClock.now - since >= timeout
        }
    }

    /// Activities started and not yet acknowledged.
    var runningActivities: Int { state.withLock { $0.running } }

    func activityStarted() { state.withLock { $0.running += 1 } }
    func activityEnded() { state.withLock { $0.running -= 1 } }
}

/// Thrown from the checkpoint hook of a draining worker, or of an activity whose
/// workflow an operator paused: the checkpoint is durable, so the activity stops there
/// and is handed back.
struct ActivityHandedBack: Error {
    enum Reason { case draining, paused }
    var reason: Reason
}
