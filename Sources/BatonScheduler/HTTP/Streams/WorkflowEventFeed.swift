import BatonContracts
import BatonPostgres
import Logging
import OpenAPIRuntime
import ServiceLifecycle

/// One workflow's live events (`GET /v1/workflows/{id}/events`): the workflow whenever
/// it changes, its history entries in order with their sequence as the event id, the
/// text its model calls are generating as `text` events (no id: they are not stored,
/// so not resumable; `TextFanout`; only the current attempt's or a newer one's), and
/// `end` once it is over and every entry is out.
///
/// The entries come from the history table: each is committed under its workflow's
/// row lock, so one workflow's sequence numbers become visible in order, and "after
/// sequence N" misses none and repeats none — whichever replica answers, before or
/// after a restart.
///
/// Pull-driven: the database is read only while the client takes events, so a
/// stream whose client went away stops at its next write. A scheduler shutting down
/// ends its streams; the clients reconnect elsewhere with `Last-Event-ID`.
struct WorkflowEventFeed: AsyncSequence, Sendable {
    typealias Element = ServerSentEvent

    let id: String
    let pool: PostgresPool
    /// The workflow as read when the request was authorised: the first event.
    let initial: WorkflowView
    /// The last history sequence the client has.
    let after: Int
    let timing: StreamTiming
    /// Where live model text comes from; nil sends none.
    var text: TextFanout? = nil
    let logger: Logger

    /// History entries read at once; a longer backlog is sent in several reads.
    static let page = 200

    func makeAsyncIterator() -> Iterator { Iterator(feed: self) }

    struct Iterator: AsyncIteratorProtocol {
        let feed: WorkflowEventFeed
        private var pending: [ServerSentEvent]
        private var sequence: Int
        private var shown: WorkflowView
        private var ended = false
        private var backlog = true
        private var lastSent = ContinuousClock.now
        private var nextRead = ContinuousClock.now
        /// Followed from the first look on, so that no text is missed while the backlog goes out.
        private var follower: TextFollower?
        /// The worker whose `started` the current attempt accepted, as last read.
        private var leaseHolder: String?

        init(feed: WorkflowEventFeed) {
            self.feed = feed
            var first = ServerSentEvent.json("workflow", feed.initial)
            first.retry = feed.timing.reconnectMilliseconds
            pending = [first]
            sequence = feed.after
            shown = feed.initial
        }

        mutating func next() async throws -> ServerSentEvent? {
            while true {
                if !pending.isEmpty {
                    lastSent = .now
                    return pending.removeFirst()
                }
                if ended || Task.isCancelled || Task.isShuttingDownGracefully {
                    follower = nil
                    return nil
                }
                if follower == nil, let text = feed.text, !shown.status.isTerminal {
                    follower = text.follow(feed.id)
                }
                if let follower {
                    // A worker still writing for an attempt that no longer counts (a zombie
                    // cut off from the scheduler, a timed-out attempt), or for the current
                    // one without holding it (a second copy of its command, being
                    // stopped), is not shown: its answer will never reach the history.
                    let (attempt, holder) = (shown.attempt, leaseHolder)
                    pending += follower.take().filter { delta in
                        delta.attempt > attempt
                            || delta.attempt == attempt
                                && (holder == nil || delta.workerId == nil || delta.workerId == holder)
                    }.map { .json("text", $0) }
                    if !pending.isEmpty { continue }
                }
                let now = ContinuousClock.now
                if !backlog, now < nextRead {
                    if let follower {
                        await follower.wake.wait(upTo: nextRead - now)
                    } else {
                        try? await Task.sleep(until: nextRead, clock: .continuous)
                    }
                    continue
                }
                await read()
                nextRead = .now + feed.timing.poll
                if pending.isEmpty, ContinuousClock.now - lastSent >= feed.timing.keepAlive {
                    pending.append(.keepAlive)
                }
            }
        }

        private mutating func read() async {
            let (id, after) = (feed.id, sequence)
            do {
                let (entries, read) = try await feed.pool.autocommit { db in
                    (
                        try WorkflowReads.history(of: id, after: after, limit: WorkflowEventFeed.page, on: db) ?? [],
                        try WorkflowReads.viewAndLeaseHolder(of: id, on: db)
                    )
                }
                let view = read?.view
                leaseHolder = read?.leaseHolder
                for entry in entries {
                    pending.append(.json("history", entry, id: String(entry.sequence)))
                    sequence = entry.sequence
                }
                backlog = entries.count == WorkflowEventFeed.page
                guard let view else {
                    // Retention removed it while it was followed: nothing more will come.
                    ended = true
                    return
                }
                if view != shown {
                    shown = view
                    pending.append(.json("workflow", view))
                }
                if view.status.isTerminal, !backlog {
                    pending.append(.json("end", view))
                    ended = true
                }
            } catch {
                // An outage: the stream stays open and reads again at the next poll.
                backlog = false
                feed.logger.debug(
                    "a workflow stream could not read", metadata: ["workflow": "\(id)", "error": "\(error)"])
            }
        }
    }
}
