import Synchronization

/// Wakes one waiting loop early (e.g. the outbox relay right after a commit that
/// wrote outbox rows); the loop also wakes on its own after a timeout, which covers
/// rows committed by other scheduler replicas.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: (wait: UInt64, continuation: CheckedContinuation<Void, Never>)?
        var lastWait: UInt64 = 0
        /// A wait whose timeout fired before it started waiting.
        var expired: UInt64?
    }
    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }

    /// True when a signal waits for the next `wait` (for tests).
    var isPending: Bool { state.withLock { $0.pending } }

    /// Returns on `signal()` (or one that came since the last wait), or after `timeout`.
    /// A timeout wakes only the wait it belongs to: it must never count as a signal, or
    /// every later wait would return at once and the loop would spin.
    func wait(upTo timeout: Duration) async {
        let wait = state.withLock { state in
            state.lastWait += 1
            return state.lastWait
        }
        let timer = Task {
            do { try await Task.sleep(for: timeout) } catch { return }
            self.timeOut(wait)
        }
        defer { timer.cancel() }
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if state.pending || state.expired == wait {
                    state.pending = false
                    return true
                }
                state.waiter = (wait, continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    private func timeOut(_ wait: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter, waiter.wait == wait else {
                state.expired = wait
                return nil
            }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }
}
