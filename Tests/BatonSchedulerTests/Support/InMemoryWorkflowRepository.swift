import BatonContracts
import BatonWorkflow
import Foundation
import Synchronization

@testable import BatonScheduler

/// The workflows in memory, with PostgreSQL's semantics where the engine relies on
/// them: transactions are all or nothing and serializable (one at a time, under a
/// lock), unique ids and event ids, checkpoints once per step, timers one per kind,
/// and faults that make a transaction fail before its commit or lose the answer after
/// it. `WorkflowRepositoryContractTests` runs the same checks on both repositories.
final class InMemoryWorkflowRepository: WorkflowRepository {
    struct Row: Sendable {
        var stored: StoredWorkflow
        var input: JSONValue
        var fingerprint: String
        var parentId: String?
        var childKey: String?
        var createdAt: Date
        var updatedAt: Date
        var finishedAt: Date?
        var lastHeartbeatAt: Date?
        var progress: ActivityProgress?
        var result: JSONValue?
        var error: ActivityFailure?
        var interrupt: InterruptRequest?
        var usage: UsageSummary?
    }

    struct TimerKey: Hashable, Comparable, Sendable {
        var workflowId: String
        var timer: WorkflowTimer

        static func < (a: TimerKey, b: TimerKey) -> Bool {
            (a.workflowId, a.timer.rawValue) < (b.workflowId, b.timer.rawValue)
        }
    }

    struct Tables: Sendable {
        var workflows: [String: Row] = [:]
        var history: [HistoryRecord] = []
        var eventIds: Set<UUID> = []
        var outbox: [OutboxMessage] = []
        var timers: [TimerKey: (at: Date, attempt: Int)] = [:]
        var checkpoints: [String: [Int: Checkpoint]] = [:]
        /// What live workers serve; nil: none reported.
        var liveAgents: Set<String>?
    }

    /// Where a transaction can be made to fail.
    enum Fault: Sendable {
        /// Rolled back before its commit: nothing happened.
        case beforeCommit
        /// Committed, but the caller hears an error (a connection lost during COMMIT).
        case afterCommit
    }

    struct TransientFailure: Error, CustomStringConvertible {
        var description: String { "simulated transient database failure" }
    }

    private let tables = Mutex(Tables())
    /// Asked once per transaction; nil lets it commit.
    private let faults: Mutex<(@Sendable () -> Fault?)?> = Mutex(nil)

    init() {}

    func injectFaults(_ decide: (@Sendable () -> Fault?)?) {
        faults.withLock { $0 = decide }
    }

    func transaction<T: Sendable>(_ body: @escaping @Sendable (any WorkflowTransaction) throws -> T) async throws -> T {
        let fault = faults.withLock { $0?() }
        return try tables.withLock { committed in
            let tx = InMemoryWorkflowTransaction(tables: committed)
            let value = try body(tx)
            switch fault {
            case .beforeCommit: throw TransientFailure()
            case .afterCommit:
                committed = tx.tables
                throw TransientFailure()
            case nil:
                committed = tx.tables
                return value
            }
        }
    }

    func isTransient(_ error: any Error) -> Bool { error is TransientFailure }

    /// The committed state.
    var snapshot: Tables { tables.withLock { $0 } }

    /// Takes the outbox's messages, as the relay does after publishing them.
    func drainOutbox() -> [OutboxMessage] {
        tables.withLock { tables in
            defer { tables.outbox.removeAll() }
            return tables.outbox
        }
    }

    func setLiveAgents(_ agents: Set<String>?) {
        tables.withLock { $0.liveAgents = agents }
    }
}
