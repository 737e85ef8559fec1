import BatonContracts
import BatonWorkflow
import Foundation
import Testing

@testable import BatonScheduler

/// The executor only executes: each action becomes the write it names, and actions
/// about other workflows come back to the engine as follow-ups.
@Suite struct ActionExecutorTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    let executor = ActionExecutor(
        settings: WorkflowEngine.Settings(commandQueue: "agents", defaults: WorkflowOptions(), checkpointRetention: 2))

    func transaction(with id: String = "w") throws -> (InMemoryWorkflowTransaction, StoredWorkflow) {
        let tx = InMemoryWorkflowTransaction(tables: .init())
        let machine = WorkflowStateMachine(options: WorkflowOptions(), agent: "chain")
        _ = try tx.insertWorkflow(
            NewWorkflow(
                id: id, agent: "chain", input: ["steps": 3], fingerprint: "f", caller: "alice", parentId: nil,
                childKey: nil, machine: machine, now: Self.now))
        return (tx, try #require(try tx.lockWorkflow(id)))
    }

    @Test func aDispatchIsARunCommandWithItsCheckpointInTheOutbox() throws {
        let (tx, workflow) = try transaction()
        try tx.storeCheckpoint(
            Checkpoint(step: 4, nextNodes: ["n"], state: ["k": 1]), of: "w", attempt: 1, retention: 2)
        let execution = try executor.execute(
            [.dispatch(attempt: 2, resumeFromStep: 4, humanInput: "yes", leaseToken: "secret")], of: workflow,
            machine: workflow.machine, saving: true, now: Self.now, on: tx)
        #expect(execution.enqueued)
        #expect(execution.followUps.isEmpty)
        let message = try #require(tx.tables.outbox.first)
        #expect(message.exchange == "" && message.routingKey == "agents")
        guard case .runActivity(let run) = try WorkerCommand.decode(message.body) else {
            Issue.record("not a run command")
            return
        }
        #expect(run.attempt == 2 && run.leaseToken == "secret" && run.humanInput == "yes")
        #expect(run.checkpoint?.state == ["k": 1])
        #expect(run.input == ["steps": 3] && run.caller == "alice")
        #expect(run.eventsRoutingKey == EventPartitions.routingKey(for: "w"))
        #expect(tx.tables.history.map(\.type) == ["dispatched"])
    }

    @Test func aCancelGoesToTheControlExchangeForOneWorker() throws {
        let (tx, workflow) = try transaction()
        _ = try executor.execute(
            [.cancelActivity(attempt: 1, lease: "w7")], of: workflow, machine: workflow.machine, saving: true,
            now: Self.now, on: tx)
        let message = try #require(tx.tables.outbox.first)
        #expect(message.exchange == WorkerCommand.controlExchange(for: "agents"))
        #expect(
            try WorkerCommand.decode(message.body)
                == .cancelActivity(CancelActivity(workflowId: "w", attempt: 1, workerId: "w7")))
    }

    @Test func actionsAboutOtherWorkflowsComeBackAsFollowUps() throws {
        let (tx, workflow) = try transaction()
        let execution = try executor.execute(
            [
                .checkChildEnded("w.c-1"), .notifyParent(parentId: "p"), .cancelChildren(parentEnded: .failed),
                .ignore(.duplicate),
            ], of: workflow, machine: workflow.machine, saving: true, now: Self.now, on: tx)
        #expect(
            execution.followUps == [
                .checkChildEnded("w.c-1"), .notifyParent("p"), .cancelChildren(parentEnded: .failed),
            ])
        #expect(!execution.enqueued)
    }

    /// The result is written with the row, and the workflow's usage goes to the metrics:
    /// the stored one, or the one a checkpoint applied with the result brought.
    @Test func aResultIsSavedWithTheUsageForTheMetrics() throws {
        let (tx, workflow) = try transaction()
        let stored = UsageSummary(byNode: ["a": TokenUsage(promptTokens: 3, completionTokens: 1, cost: 0.5)])
        let last = UsageSummary(byNode: ["a": TokenUsage(promptTokens: 9, completionTokens: 2, cost: 1)])
        var earlier = workflow
        earlier.usage = stored
        let alone = try executor.execute(
            [.recordResult("done")], of: earlier, machine: workflow.machine, saving: true, now: Self.now, on: tx)
        #expect(alone.endedWithUsage == stored)
        #expect(tx.tables.workflows["w"]?.result == "done")
        let withCheckpoint = try executor.execute(
            [
                .storeCheckpoint(Checkpoint(step: 1, nextNodes: [], state: [:], usage: last.byNode)),
                .recordResult("again"),
            ], of: earlier, machine: workflow.machine, saving: true, now: Self.now, on: tx)
        #expect(withCheckpoint.endedWithUsage == last)
        #expect(tx.tables.workflows["w"]?.result == "again")
        let none = try executor.execute(
            [.recordResult("x")], of: workflow, machine: workflow.machine, saving: true, now: Self.now, on: tx)
        #expect(none.endedWithUsage == nil)
    }

    @Test func anEndedWorkflowIsNotSavedAgain() throws {
        let (tx, workflow) = try transaction()
        let before = tx.tables.workflows["w"]?.updatedAt
        var machine = workflow.machine
        _ = machine.handle(.submitted, now: Self.now, random: 0)
        _ = try executor.execute(
            [.recordError(ActivityFailure(kind: "x", message: "late", retryable: false))], of: workflow,
            machine: machine, saving: false, now: Self.now.addingTimeInterval(60), on: tx)
        #expect(tx.tables.workflows["w"]?.updatedAt == before)
        #expect(tx.tables.workflows["w"]?.error == nil)
    }
}
