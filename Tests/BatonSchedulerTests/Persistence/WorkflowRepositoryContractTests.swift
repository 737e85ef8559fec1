import BatonContracts
import BatonPostgres
import BatonWorkflow
import Foundation
import Testing

@testable import BatonScheduler

/// What the engine relies on from a repository, checked on PostgreSQL and on the
/// in-memory stand-in the simulation uses: if both pass, the simulation's engine runs
/// on the semantics production has.
@Suite struct WorkflowRepositoryContractTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case postgres, memory
        var testDescription: String { rawValue }

        func make() async throws -> any WorkflowRepository {
            switch self {
            case .postgres: PostgresWorkflowRepository(pool: try await TestDatabase.fresh())
            case .memory: InMemoryWorkflowRepository()
            }
        }
    }

    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func newWorkflow(_ id: String, parent: String? = nil, key: String? = nil) -> NewWorkflow {
        NewWorkflow(
            id: id, agent: "chain", input: ["steps": 2], fingerprint: "f-\(id)", caller: "alice", parentId: parent,
            childKey: key, machine: WorkflowStateMachine(options: WorkflowOptions(), agent: "chain", parentId: parent),
            now: now)
    }

    @Test(arguments: Kind.allCases) func idsAndChildKeysAreUnique(_ kind: Kind) async throws {
        let repository = try await kind.make()
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            #expect(try tx.insertWorkflow(Self.newWorkflow("p")))
            #expect(try !tx.insertWorkflow(Self.newWorkflow("p")))
            #expect(try tx.insertWorkflow(Self.newWorkflow("p.c-1", parent: "p", key: "c")))
            #expect(try !tx.insertWorkflow(Self.newWorkflow("p.c-2", parent: "p", key: "c")))
            #expect(try tx.child(of: "p", key: "c")?.id == "p.c-1")
            #expect(try tx.fingerprint(of: "p.c-1") == "f-p.c-1")
            #expect(try tx.fingerprint(of: "nobody") == nil)
            #expect(try tx.lockWorkflow("p")?.caller == "alice")
            #expect(try tx.lockWorkflow("nobody") == nil)
        }
    }

    @Test(arguments: Kind.allCases) func aFailedTransactionLeavesNothing(_ kind: Kind) async throws {
        let repository = try await kind.make()
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await repository.transaction { (tx: any WorkflowTransaction) throws in
                _ = try tx.insertWorkflow(Self.newWorkflow("gone"))
                throw Abort()
            }
        }
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            #expect(try tx.lockWorkflow("gone") == nil)
        }
    }

    @Test(arguments: Kind.allCases) func savingKeepsErrorsAndTogglesTheInterrupt(_ kind: Kind) async throws {
        let repository = try await kind.make()
        let question = InterruptRequest(title: "t", question: "q?")
        let failure = ActivityFailure(kind: "agent_error", message: "boom", retryable: false)
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            _ = try tx.insertWorkflow(Self.newWorkflow("w"))
            var machine = try #require(try tx.lockWorkflow("w")).machine
            _ = machine.handle(.submitted, now: Self.now, random: 0)
            try tx.saveWorkflow(
                WorkflowUpdate(id: "w", machine: machine, now: Self.now, error: nil, interrupt: .set(question)))
            #expect(try tx.view(of: "w")?.interrupt?["question"] == "q?")
            #expect(try tx.view(of: "w")?.status == .dispatched)
            try tx.saveWorkflow(
                WorkflowUpdate(id: "w", machine: machine, now: Self.now, error: failure, interrupt: .cleared))
            try tx.saveWorkflow(
                WorkflowUpdate(id: "w", machine: machine, now: Self.now, error: nil, interrupt: .unchanged))
            let view = try #require(try tx.view(of: "w"))
            #expect(view.interrupt == nil)
            #expect(view.error == failure)  // a save without an error keeps the one recorded
            #expect(try tx.outcome(of: "w") == nil)  // not ended
        }
    }

    @Test(arguments: Kind.allCases) func anEndedChildHasAnOutcomeAndLeavesTheUnfinished(_ kind: Kind) async throws {
        let repository = try await kind.make()
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            _ = try tx.insertWorkflow(Self.newWorkflow("p"))
            for key in ["b", "a"] { _ = try tx.insertWorkflow(Self.newWorkflow("p.\(key)-1", parent: "p", key: key)) }
            #expect(try tx.unfinishedChildren(of: "p") == ["p.a-1", "p.b-1"])
            var machine = try #require(try tx.lockWorkflow("p.a-1")).machine
            _ = machine.handle(.cancelRequested(reason: "stop"), now: Self.now, random: 0)
            try tx.saveWorkflow(
                WorkflowUpdate(
                    id: "p.a-1", machine: machine, now: Self.now,
                    error: ActivityFailure(kind: "cancelled", message: "stop", retryable: false), interrupt: .unchanged)
            )
            #expect(try tx.unfinishedChildren(of: "p") == ["p.b-1"])
            let outcome = try #require(try tx.outcome(of: "p.a-1"))
            #expect(outcome.status == .cancelled)
            #expect(outcome.error?.kind == "cancelled")
        }
    }

    @Test(arguments: Kind.allCases) func anEventIdIsRecordedOnce(_ kind: Kind) async throws {
        let repository = try await kind.make()
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            _ = try tx.insertWorkflow(Self.newWorkflow("w"))
            let id = UUID()
            let entry = HistoryRecord(
                workflowId: "w", eventId: id, attempt: 1, type: "started", outcome: "applied", payload: nil)
            #expect(try tx.appendHistory(entry))
            #expect(try !tx.appendHistory(entry))
            var own = entry
            own.eventId = nil
            #expect(try tx.appendHistory(own))
            #expect(try tx.appendHistory(own))  // the scheduler's own entries have no id
        }
    }

    @Test(arguments: Kind.allCases) func checkpointsAreKeptOncePerStepAndRetained(_ kind: Kind) async throws {
        let repository = try await kind.make()
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            _ = try tx.insertWorkflow(Self.newWorkflow("w"))
            for step in 1...5 {
                try tx.storeCheckpoint(
                    Checkpoint(step: step, nextNodes: ["n\(step)"], state: ["step": .number(Double(step))]), of: "w",
                    attempt: 1, retention: 2)
            }
            try tx.storeCheckpoint(
                Checkpoint(step: 5, nextNodes: ["other"], state: [:]), of: "w", attempt: 2, retention: 2)
            #expect(try tx.loadCheckpoint(of: "w", step: 3) == nil)
            #expect(try tx.loadCheckpoint(of: "w", step: 4)?.nextNodes == ["n4"])
            #expect(try tx.loadCheckpoint(of: "w", step: 5)?.nextNodes == ["n5"])  // the first one stays
            #expect(try tx.loadCheckpoint(of: "w", step: 5)?.state == ["step": 5])
        }
    }

    @Test(arguments: Kind.allCases) func dueTimersAreTakenOnceAndHeldKindsWait(_ kind: Kind) async throws {
        let repository = try await kind.make()
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            for id in ["b", "a"] { _ = try tx.insertWorkflow(Self.newWorkflow(id)) }
            try tx.setTimer(.heartbeat, of: "a", at: Self.now, attempt: 1)
            try tx.setTimer(.backoff, of: "b", at: Self.now.addingTimeInterval(-1), attempt: 2)
            try tx.setTimer(.backoff, of: "a", at: Self.now.addingTimeInterval(60), attempt: 1)
            try tx.setTimer(.backoff, of: "a", at: Self.now.addingTimeInterval(-5), attempt: 3)  // re-armed
            try tx.setTimer(.execution, of: "b", at: Self.now.addingTimeInterval(1), attempt: 0)
            func take(holding held: [WorkflowTimer]) throws -> [DueTimer] {
                try tx.dueTimers(now: Self.now, holding: held, limit: 10).filter { try tx.takeTimer($0, now: Self.now) }
            }
            #expect(
                try take(holding: [.heartbeat]) == [
                    DueTimer(workflowId: "a", timer: .backoff, attempt: 3),
                    DueTimer(workflowId: "b", timer: .backoff, attempt: 2),
                ])
            #expect(try take(holding: [.heartbeat]).isEmpty)
            // Re-armed (same kind, a later attempt or time) after it was listed: not taken.
            let due = try tx.dueTimers(now: Self.now, holding: [], limit: 10)
            #expect(due == [DueTimer(workflowId: "a", timer: .heartbeat, attempt: 1)])
            try tx.setTimer(.heartbeat, of: "a", at: Self.now.addingTimeInterval(30), attempt: 1)
            #expect(try !tx.takeTimer(due[0], now: Self.now))
            try tx.setTimer(.heartbeat, of: "a", at: Self.now, attempt: 2)
            #expect(try !tx.takeTimer(due[0], now: Self.now))
            #expect(try tx.takeTimer(DueTimer(workflowId: "a", timer: .heartbeat, attempt: 2), now: Self.now))
            try tx.deleteTimer(.execution, of: "b")
            #expect(try tx.dueTimers(now: Self.now.addingTimeInterval(3600), holding: [], limit: 10).isEmpty)
        }
    }

    /// A batch is prepared (its workflows locked and its event ids looked up at once)
    /// and its writes wait for the commit: every read of the batch still sees them.
    @Test(arguments: Kind.allCases) func aPreparedBatchSeesItsOwnWrites(_ kind: Kind) async throws {
        let repository = try await kind.make()
        let seen = UUID()
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            for id in ["a", "b"] { _ = try tx.insertWorkflow(Self.newWorkflow(id)) }
            _ = try tx.appendHistory(
                HistoryRecord(
                    workflowId: "a", eventId: seen, attempt: 1, type: "started", outcome: "applied", payload: nil))
        }
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            let fresh = UUID()
            try tx.prepare(lockingWorkflows: ["b", "a", "nobody"], eventIds: [seen, fresh])
            #expect(try tx.lockWorkflow("nobody") == nil)
            func entry(_ id: UUID) -> HistoryRecord {
                HistoryRecord(
                    workflowId: "a", eventId: id, attempt: 1, type: "started", outcome: "applied", payload: nil)
            }
            #expect(try !tx.appendHistory(entry(seen)))
            #expect(try tx.appendHistory(entry(fresh)))
            #expect(try !tx.appendHistory(entry(fresh)))
            var machine = try #require(try tx.lockWorkflow("a")).machine
            _ = machine.handle(.submitted, now: Self.now, random: 0)
            try tx.saveWorkflow(
                WorkflowUpdate(id: "a", machine: machine, now: Self.now, error: nil, interrupt: .unchanged))
            #expect(try tx.lockWorkflow("a")?.machine.status == .dispatched)
            try tx.storeCheckpoint(
                Checkpoint(step: 1, nextNodes: ["n"], state: ["k": 1]), of: "a", attempt: 1, retention: 3)
            #expect(try tx.loadCheckpoint(of: "a", step: 1)?.state == ["k": 1])
            try tx.recordProgress(ActivityProgress(node: "n", step: 1), of: "a")
            try tx.setTimer(.heartbeat, of: "a", at: Self.now, attempt: 1)
            try tx.deleteTimer(.heartbeat, of: "a")
            try tx.setTimer(.backoff, of: "b", at: Self.now, attempt: 1)
            #expect(try tx.view(of: "a")?.status == .dispatched)
            #expect(
                try tx.dueTimers(now: Self.now, holding: [], limit: 10) == [
                    DueTimer(workflowId: "b", timer: .backoff, attempt: 1)
                ])
        }
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            #expect(try tx.view(of: "a")?.progress?.node == "n")
            #expect(try tx.lockWorkflow("a")?.machine.status == .dispatched)
        }
    }
}
