import BatonAMQP
import BatonContracts
import Logging
import ServiceLifecycle
import Synchronization

/// The text model calls are generating, from the workers to the workflow streams open
/// on this replica (`text` events), stored nowhere.
///
/// One connection and one exclusive queue per replica, bound to the text exchange only
/// for the workflows followed here (routing key: the workflow id): a replica receives
/// its own viewers' text and nothing else, and unfollowed text is dropped by the
/// broker. The loop owns the connection: it applies follows and unfollows between
/// deliveries, and after a reconnection binds every followed workflow again. Text that
/// arrives while a binding is being made, or during an outage, is lost: it is a view,
/// and the answer itself reaches the history with its checkpoint.
final class TextFanout: Service, Sendable {
    let endpoint: AMQPEndpoint
    let exchange: String
    let queue: String
    let logger: Logger

    private struct Followers {
        var byWorkflow: [String: [Int: TextInbox]] = [:]
        var nextId = 0
        /// Workflows whose binding must be made (true) or removed (false).
        var changes: [String: Bool] = [:]
    }
    private let followers = Mutex(Followers())
    private let changed = WakeSignal()

    init(endpoint: AMQPEndpoint, commandQueue: String, replica: String, logger: Logger) {
        self.endpoint = endpoint
        self.exchange = Topology.textExchange(for: commandQueue)
        self.queue = Topology.textQueue(for: commandQueue, replica: replica)
        self.logger = logger
    }

    /// Starts passing `workflowId`'s text to the follower returned, until it goes away.
    func follow(_ workflowId: String) -> TextFollower {
        let inbox = followers.withLock { followers in
            followers.nextId += 1
            let inbox = TextInbox(id: followers.nextId)
            if followers.byWorkflow[workflowId] == nil { followers.changes[workflowId] = true }
            followers.byWorkflow[workflowId, default: [:]][inbox.id] = inbox
            return inbox
        }
        changed.signal()
        return TextFollower(workflowId: workflowId, inbox: inbox, fanout: self)
    }

    /// Called once by each follower as it goes away.
    fileprivate func release(_ id: Int, of workflowId: String) {
        let unbind = followers.withLock { followers in
            followers.byWorkflow[workflowId]?[id] = nil
            guard followers.byWorkflow[workflowId]?.isEmpty == true else { return false }
            followers.byWorkflow[workflowId] = nil
            followers.changes[workflowId] = false
            return true
        }
        if unbind { changed.signal() }
    }

    /// Workflows followed now (for tests).
    var followedWorkflows: Set<String> { followers.withLock { Set($0.byWorkflow.keys) } }

    func run() async throws {
        var failures = 0
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let connection: AMQPConnection
            do {
                connection = try await AMQPConnection.connect(to: endpoint, name: "baton-scheduler text \(queue)")
            } catch {
                failures += 1
                try? await Task.sleep(for: .seconds(min(30, 1 << min(failures, 5))))
                continue
            }
            do {
                try await connection.declareExclusiveQueue(queue)
                // After a reconnection the new queue has no binding: every followed one again.
                followers.withLock { followers in
                    for workflowId in followers.byWorkflow.keys { followers.changes[workflowId] = true }
                }
                _ = try await connection.consume(queue, acknowledging: false)
                failures = 0
                try await pass(on: connection)
            } catch {
                failures += 1
                logger.debug("model text connection lost; reconnecting", metadata: ["error": "\(error)"])
            }
            await connection.close()
            if !Task.isCancelled { try? await Task.sleep(for: .seconds(min(30, 1 << min(failures, 5)))) }
        }
    }

    private func pass(on connection: AMQPConnection) async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let changes = followers.withLock { followers in
                defer { followers.changes = [:] }
                return followers.changes
            }
            for (workflowId, bind) in changes {
                if bind {
                    try await connection.bindQueue(queue, to: exchange, routingKey: workflowId)
                } else {
                    try await connection.unbindQueue(queue, from: exchange, routingKey: workflowId)
                }
            }
            if followers.withLock({ $0.byWorkflow.isEmpty }) {
                await changed.wait(upTo: .seconds(5))
                try await connection.keepAlive()
                continue
            }
            guard let delivery = try await connection.nextDelivery(timeout: .milliseconds(100)) else { continue }
            guard let delta = try? TextDelta.decode(delivery.body) else { continue }  // a view: a bad one is dropped
            let inboxes = followers.withLock { $0.byWorkflow[delta.workflowId].map { Array($0.values) } ?? [] }
            for inbox in inboxes { inbox.deliver(delta) }
        }
    }
}

/// One stream's share of a workflow's live text: what arrived since it last looked.
/// Following ends when it goes away.
final class TextFollower: Sendable {
    let workflowId: String
    fileprivate let inbox: TextInbox
    private let fanout: TextFanout

    fileprivate init(workflowId: String, inbox: TextInbox, fanout: TextFanout) {
        self.workflowId = workflowId
        self.inbox = inbox
        self.fanout = fanout
    }

    deinit { fanout.release(inbox.id, of: workflowId) }

    /// Signalled at each arrival.
    var wake: WakeSignal { inbox.wake }

    /// What arrived since the last call.
    func take() -> [TextDelta] { inbox.take() }
}

/// Where the fanout puts a follower's text.
private final class TextInbox: Sendable {
    let id: Int
    private let arrived = Mutex<[TextDelta]>([])
    let wake = WakeSignal()
    /// What one slow stream may hold before it misses text.
    static let maximumHeld = 10_000

    init(id: Int) { self.id = id }

    func deliver(_ delta: TextDelta) {
        arrived.withLock { if $0.count < Self.maximumHeld { $0.append(delta) } }
        wake.signal()
    }

    func take() -> [TextDelta] {
        arrived.withLock { arrived in
            defer { arrived = [] }
            return arrived
        }
    }
}
