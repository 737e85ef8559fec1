import BatonContracts
import BatonPostgres
import Logging
import OpenAPIRuntime
import ServiceLifecycle

/// Every change to one tenant's workflows (`GET /v1/events`): a `workflow` event with
/// the workflow as it is now, for each workflow that gained a history entry.
///
/// It reads the history of all tenants (`HistoryCursor` needs every sequence to tell a
/// gap from another tenant's entry) and shows only what `principal` may read. An
/// event's id is the cursor's resume point, so a reconnect may send a workflow again,
/// never skip one; each event is a whole state, so a repeat is harmless.
struct TenantEventFeed: AsyncSequence, Sendable {
    typealias Element = ServerSentEvent

    let principal: Principal
    let pool: PostgresPool
    /// Where to start; nil starts at the newest entry.
    let after: Int?
    let timing: StreamTiming
    let logger: Logger

    static let page = 1000

    func makeAsyncIterator() -> Iterator { Iterator(feed: self) }

    struct Iterator: AsyncIteratorProtocol {
        let feed: TenantEventFeed
        private var cursor: HistoryCursor?
        private var pending: [ServerSentEvent] = []
        private var backlog = true
        private var lastSent = ContinuousClock.now

        init(feed: TenantEventFeed) {
            self.feed = feed
            cursor = feed.after.map(HistoryCursor.init(position:))
        }

        mutating func next() async throws -> ServerSentEvent? {
            while true {
                if !pending.isEmpty {
                    lastSent = .now
                    return pending.removeFirst()
                }
                if Task.isCancelled || Task.isShuttingDownGracefully { return nil }
                if !backlog { try? await Task.sleep(for: feed.timing.poll) }
                await read()
                if pending.isEmpty, ContinuousClock.now - lastSent >= feed.timing.keepAlive {
                    pending.append(.keepAlive)
                }
            }
        }

        private mutating func read() async {
            do {
                guard var cursor else {
                    let position = try await feed.pool.autocommit { db in try WorkflowReads.historyPosition(on: db) }
                    self.cursor = HistoryCursor(position: position)
                    var hello = ServerSentEvent(id: String(position), retry: feed.timing.reconnectMilliseconds)
                    hello.event = "ready"
                    hello.data = ""
                    pending.append(hello)
                    backlog = false
                    return
                }
                let (position, holes) = (cursor.position, cursor.openHoles)
                let (tenant, principal) = (feed.principal.tenant, feed.principal)
                let (tail, views) = try await feed.pool.autocommit { db in
                    let tail = try WorkflowReads.historyTail(
                        after: position, holes: holes, limit: TenantEventFeed.page, on: db)
                    let changed = Set(tail.filter { $0.tenant == tenant }.map(\.workflowId))
                    let views = changed.isEmpty ? [] : try WorkflowReads.views(of: changed.sorted(), on: db)
                    return (tail, views.filter(principal.mayRead))
                }
                cursor.saw(tail.map(\.sequence), now: .now)
                self.cursor = cursor
                backlog = tail.count == TenantEventFeed.page
                for view in views { pending.append(.json("workflow", view, id: String(cursor.resumePoint))) }
            } catch {
                backlog = false
                feed.logger.debug("a tenant stream could not read", metadata: ["error": "\(error)"])
            }
        }
    }
}
