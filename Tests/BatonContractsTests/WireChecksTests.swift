import BatonContracts
import Foundation
import Testing

/// Numbers the types accepted from the broker and the system then tripped on: a negative
/// checkpoint step was stored and every resume of it failed, negative usage lowered a
/// tenant's spending, a limit of 0 failed every event, a concurrency of 0 or a million
/// skewed the fair dispatch gate. Now each is refused where the message is read, naming
/// the field, and the message goes to the dead letters.
@Suite struct WireChecksTests {
    func event(_ kind: WorkerEvent.Kind) -> Data {
        WorkerEvent(workflowId: "wf", attempt: 1, workerId: "w1", kind: kind).encoded()
    }

    func refusal(_ body: Data, decode: (Data) throws(ContractError) -> Void) -> String {
        do {
            try decode(body)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    func refusalOfEvent(_ kind: WorkerEvent.Kind) -> String {
        refusal(event(kind)) { data throws(ContractError) in _ = try WorkerEvent.decode(data) }
    }

    @Test func eventsWithNumbersOutOfTheirRangeAreRefused() {
        let negative = Checkpoint(step: -1, nextNodes: ["a"], state: [:])
        #expect(refusalOfEvent(.checkpointed(negative)).contains("step, superstep and parentStep must be 0 or more"))
        let child = Checkpoint(
            step: 3, nextNodes: ["a"], state: [:], children: ["sub": Checkpoint(step: -4, nextNodes: [], state: [:])])
        #expect(refusalOfEvent(.checkpointed(child)).contains("must be 0 or more"))
        let spent = Checkpoint(
            step: 2, nextNodes: ["a"], state: [:], usage: ["model": TokenUsage(promptTokens: -5, cost: 0.1)])
        #expect(refusalOfEvent(.checkpointed(spent)).contains("the usage of node 'model'"))
        let free = Checkpoint(step: 2, nextNodes: ["a"], state: [:], usage: ["model": TokenUsage(cost: -1)])
        #expect(refusalOfEvent(.checkpointed(free)).contains("the usage of node 'model'"))
        #expect(refusalOfEvent(.progress(ActivityProgress(step: 1, percent: 250))).contains("between 0 and 100"))
        #expect(refusalOfEvent(.heartbeat(ActivityProgress(step: -2))).contains("progress step must be 0 or more"))
        // In range, they read as before.
        #expect(refusalOfEvent(.progress(ActivityProgress(step: 0, percent: 100))) == "accepted")
        #expect(refusalOfEvent(.checkpointed(Checkpoint(step: 0, nextNodes: [], state: [:]))) == "accepted")
    }

    @Test func commandsWithLimitsOrCheckpointsOutOfRangeAreRefused() {
        func run(limits: ActivityLimits? = nil, checkpoint: Checkpoint? = nil) -> String {
            let command = WorkerCommand.runActivity(
                RunActivity(
                    workflowId: "wf", attempt: 1, agent: "chain", input: [:], checkpoint: checkpoint,
                    heartbeatIntervalSeconds: 5, limits: limits))
            return refusal(command.encoded()) { data throws(ContractError) in _ = try WorkerCommand.decode(data) }
        }
        let zero = ActivityLimits(maxCheckpointBytes: 0, maxResultBytes: 1024, maxInterruptBytes: 1024)
        #expect(run(limits: zero).contains("limits.maxCheckpointBytes must be between 1024 and"))
        let huge = ActivityLimits(maxCheckpointBytes: 1024, maxResultBytes: 1 << 40, maxInterruptBytes: 1024)
        #expect(run(limits: huge).contains("limits.maxResultBytes"))
        #expect(run(checkpoint: Checkpoint(step: -3, nextNodes: ["a"], state: [:])).contains("must be 0 or more"))
        #expect(run(limits: .standard) == "accepted")
    }

    @Test func aWorkerStatusWithAConcurrencyOutOfRangeIsRefused() {
        func status(_ concurrency: Int) -> String {
            let body = WorkerStatus(workerId: "w1", agents: ["chain"], concurrency: concurrency).encoded()
            return refusal(body) { data throws(ContractError) in _ = try EventsQueueMessage.decode(data) }
        }
        #expect(status(0).contains("concurrency must be between 1 and 10000"))
        #expect(status(1_000_000).contains("concurrency must be between 1 and 10000"))
        #expect(status(16) == "accepted")
    }

    /// Worker ids in a cancel or pause and a child workflow id in an interrupt were read
    /// as any string: a megabyte of id or a control character reached the logs and the
    /// comparisons. They follow the same rules as everywhere else now.
    @Test func idsInCancelsPausesAndChildInterruptsAreChecked() {
        func command(_ command: WorkerCommand) -> String {
            refusal(command.encoded()) { data throws(ContractError) in _ = try WorkerCommand.decode(data) }
        }
        let long = String(repeating: "w", count: 300)
        #expect(
            command(.cancelActivity(CancelActivity(workflowId: "wf", attempt: 1, workerId: long))).contains("workerId"))
        #expect(
            command(.cancelActivity(CancelActivity(workflowId: "wf", attempt: 1, workerId: "a\u{7}b"))).contains(
                "workerId"))
        #expect(command(.pauseActivity(PauseActivity(workflowId: "wf", attempt: 1, workerId: ""))).contains("workerId"))
        #expect(command(.cancelActivity(CancelActivity(workflowId: "wf", attempt: 1))) == "accepted")
        #expect(command(.pauseActivity(PauseActivity(workflowId: "wf", attempt: 1, workerId: "w1"))) == "accepted")

        let child = InterruptRequest(title: "t", question: "q", childWorkflowId: "no spaces allowed")
        #expect(refusalOfEvent(.interrupted(child)).contains("request.childWorkflowId is not a workflow id"))
        let fine = InterruptRequest(title: "t", question: "q", childWorkflowId: "wf-child.1")
        #expect(refusalOfEvent(.interrupted(fine)) == "accepted")
    }
}
