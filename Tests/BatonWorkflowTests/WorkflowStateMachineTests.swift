import BatonContracts
import BatonWorkflow
import Foundation
import Testing

/// Transcript-style: each line feeds one event and states the actions expected.
@Suite struct WorkflowStateMachineTests {
    let t0 = Date(timeIntervalSince1970: 1_000_000)
    let checkpoint1 = Checkpoint(step: 1, nextNodes: ["b"], state: ["n": 1])
    let checkpoint2 = Checkpoint(step: 2, nextNodes: [], state: ["n": 2])
    let retryable = ActivityFailure(kind: "agent_error", message: "flaky", retryable: true)
    let fatal = ActivityFailure(kind: "invalid_input", message: "bad", retryable: false)

    func machine(maxAttempts: Int = 3) -> WorkflowStateMachine {
        WorkflowStateMachine(options: WorkflowOptions(maxAttempts: maxAttempts, heartbeatIntervalSeconds: 5))
    }

    @Test func happyPath() {
        var m = machine()
        #expect(m.status == .pending)
        #expect(m.submitted(now: t0) == [.dispatch(attempt: 1, resumeFromStep: nil)])
        #expect(m.status == .dispatched)
        #expect(m.workerEvent(.started, attempt: 1, now: t0) == [])
        #expect(m.status == .running)
        #expect(m.workerEvent(.checkpointed(checkpoint1), attempt: 1, now: t0) == [.storeCheckpoint(checkpoint1)])
        #expect(m.workerEvent(.checkpointed(checkpoint2), attempt: 1, now: t0) == [.storeCheckpoint(checkpoint2)])
        #expect(m.checkpointStep == 2)
        #expect(m.workerEvent(.completed(output: "done"), attempt: 1, now: t0) == [.recordResult("done")])
        #expect(m.status == .completed)
    }

    @Test func submittingTwiceDispatchesOnce() {
        var m = machine()
        _ = m.submitted(now: t0)
        #expect(m.submitted(now: t0) == [.ignore(.duplicate)])
        #expect(m.attempt == 1)
    }

    @Test func redeliveredEventsChangeNothing() {
        var m = machine()
        _ = m.submitted(now: t0)
        _ = m.workerEvent(.started, attempt: 1, now: t0)
        #expect(m.workerEvent(.started, attempt: 1, now: t0) == [.ignore(.duplicate)])
        _ = m.workerEvent(.checkpointed(checkpoint2), attempt: 1, now: t0)
        #expect(m.workerEvent(.checkpointed(checkpoint2), attempt: 1, now: t0) == [.ignore(.duplicate)])
        #expect(m.workerEvent(.checkpointed(checkpoint1), attempt: 1, now: t0) == [.ignore(.duplicate)])
        #expect(m.checkpointStep == 2)
    }

    @Test func eventsOfAStaleAttemptAreIgnored() {
        var m = machine()
        _ = m.submitted(now: t0)
        _ = m.workerEvent(.started, attempt: 1, now: t0)
        #expect(m.workerEvent(.failed(retryable), attempt: 1, now: t0) == [.dispatch(attempt: 2, resumeFromStep: nil)])
        // The zombie of attempt 1 completes late: recorded, changes nothing.
        #expect(m.workerEvent(.completed(output: "late"), attempt: 1, now: t0) == [.ignore(.staleAttempt)])
        #expect(m.workerEvent(.checkpointed(checkpoint1), attempt: 1, now: t0) == [.ignore(.staleAttempt)])
        #expect(m.status == .dispatched)
        #expect(m.attempt == 2)
    }

    @Test func aRetryResumesFromTheLatestCheckpoint() {
        var m = machine()
        _ = m.submitted(now: t0)
        _ = m.workerEvent(.checkpointed(checkpoint1), attempt: 1, now: t0)
        #expect(m.workerEvent(.failed(retryable), attempt: 1, now: t0) == [.dispatch(attempt: 2, resumeFromStep: 1)])
    }

    @Test func retriesStopAtMaxAttempts() {
        var m = machine(maxAttempts: 2)
        _ = m.submitted(now: t0)
        _ = m.workerEvent(.failed(retryable), attempt: 1, now: t0)
        #expect(m.workerEvent(.failed(retryable), attempt: 2, now: t0) == [.recordFailure(retryable)])
        #expect(m.status == .failed)
    }

    @Test func aNonRetryableFailureIsFinal() {
        var m = machine()
        _ = m.submitted(now: t0)
        #expect(m.workerEvent(.failed(fatal), attempt: 1, now: t0) == [.recordFailure(fatal)])
        #expect(m.status == .failed)
    }

    @Test func nothingHappensAfterATerminalState() {
        var m = machine()
        _ = m.submitted(now: t0)
        _ = m.workerEvent(.completed(output: 1), attempt: 1, now: t0)
        let events: [WorkerEvent.Kind] = [
            .started, .heartbeat(nil), .checkpointed(checkpoint1), .completed(output: 2), .failed(retryable),
        ]
        for event in events {
            #expect(m.workerEvent(event, attempt: 1, now: t0) == [.ignore(.alreadyTerminal)])
        }
        #expect(m.status == .completed)
    }

    @Test func heartbeatsKeepTheAttemptAliveAndCarryProgress() {
        var m = machine()
        _ = m.submitted(now: t0)
        let progress = ActivityProgress(node: "a", step: 0)
        let later = t0.addingTimeInterval(5)
        #expect(m.workerEvent(.heartbeat(progress), attempt: 1, now: later) == [.recordProgress(progress)])
        #expect(m.state == .running(attempt: 1, lastHeartbeat: later))
        #expect(m.workerEvent(.heartbeat(nil), attempt: 1, now: later) == [])
    }

    @Test func anInterruptWaitsForInput() {
        var m = machine()
        _ = m.submitted(now: t0)
        _ = m.workerEvent(.started, attempt: 1, now: t0)
        #expect(m.workerEvent(.interrupted(["q": "ok?"]), attempt: 1, now: t0) == [.recordInterrupt(["q": "ok?"])])
        #expect(m.status == .awaitingInput)
        #expect(m.workerEvent(.interrupted(["q": "ok?"]), attempt: 1, now: t0) == [.ignore(.duplicate)])
    }

    @Test func theMachineSurvivesPersistence() throws {
        var m = machine()
        _ = m.submitted(now: t0)
        _ = m.workerEvent(.checkpointed(checkpoint1), attempt: 1, now: t0)
        let restored = try JSONDecoder().decode(WorkflowStateMachine.self, from: JSONEncoder().encode(m))
        #expect(restored == m)
    }
}
