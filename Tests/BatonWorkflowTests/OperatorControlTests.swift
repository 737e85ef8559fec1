import BatonContracts
import BatonWorkflow
import Foundation
import Testing

/// Issue #13: an operator pauses, resumes and terminates workflows. Transcripts of
/// the machine alone: event in, actions out.
@Suite struct OperatorControlTests {
    typealias Driver = WorkflowStateMachineTests.Driver
    let checkpoint1 = Checkpoint(step: 1, nextNodes: ["b"], state: ["n": 1])

    func handle(_ d: inout Driver, _ event: WorkflowEvent) -> [WorkflowAction] {
        d.machine.handle(event, now: d.now, random: 0.5)
    }

    /// A running attempt is asked to hand back at its next checkpoint; its hand-back
    /// pauses the workflow instead of dispatching; a resume dispatches from there.
    @Test func aRunningWorkflowPausesAtItsNextCheckpointAndResumesFromIt() {
        var d = Driver()
        _ = d.submitted()
        _ = d.worker(.started, attempt: 1)
        #expect(handle(&d, .pauseRequested) == [.pauseActivity(attempt: 1, lease: "w1")])
        #expect(d.machine.status == .running)
        #expect(d.machine.pauseRequested)
        #expect(handle(&d, .pauseRequested) == [.ignore(.duplicate)])
        _ = d.worker(.checkpointed(checkpoint1), attempt: 1)
        let handedBack = d.worker(.handedBack, attempt: 1)
        #expect(!handedBack.contains { if case .dispatch = $0 { true } else { false } })
        #expect(d.machine.status == .paused)
        #expect(!d.machine.pauseRequested)
        #expect(d.machine.attempt == 1)
        // Nothing is armed while it is paused: no timer fires it back to life.
        #expect(d.machine.timers.isEmpty)
        #expect(
            handle(&d, .resumeRequested) == [
                .dispatch(attempt: 2, resumeFromStep: 1, humanInput: nil),
                .setTimer(.scheduleToStart, at: d.now.addingTimeInterval(60), attempt: 2),
            ])
        #expect(d.machine.status == .dispatched)
    }

    /// Paused while it waits for a person: the question stays, the answer is kept, and
    /// the next attempt waits for the resume, with the answer.
    @Test func anAnswerToAPausedWorkflowWaitsForTheResume() {
        var d = Driver()
        _ = d.submitted()
        _ = d.worker(.started, attempt: 1)
        _ = d.worker(.checkpointed(checkpoint1), attempt: 1)
        _ = d.worker(.interrupted(InterruptRequest(title: "Go?", question: "Go?")), attempt: 1)
        #expect(handle(&d, .pauseRequested) == [])
        #expect(d.machine.status == .awaitingInput)
        #expect(d.answer("yes") == [.clearInterrupt])
        #expect(d.machine.status == .paused)
        #expect(
            handle(&d, .resumeRequested).first == .dispatch(attempt: 2, resumeFromStep: 1, humanInput: "yes"))
    }

    @Test func aWorkflowBackingOffOrNotYetStartedPausesAtOnce() {
        var d = Driver()
        _ = d.submitted()
        _ = d.worker(.started, attempt: 1)
        _ = d.worker(.failed(ActivityFailure(kind: "agent_error", message: "flaky", retryable: true)), attempt: 1)
        #expect(d.machine.status == .backingOff)
        #expect(handle(&d, .pauseRequested) == [.cancelTimer(.backoff)])
        #expect(d.machine.status == .paused)

        var fresh = Driver()
        _ = fresh.submitted()
        #expect(
            handle(&fresh, .pauseRequested) == [
                .cancelTimer(.scheduleToStart), .cancelActivity(attempt: 1, lease: nil),
            ])
        #expect(fresh.machine.status == .paused)
        // The attempt that was on its way is fenced off: the resume dispatches a new one.
        #expect(handle(&fresh, .resumeRequested).first == .dispatch(attempt: 2, resumeFromStep: nil, humanInput: nil))
        #expect(fresh.worker(.started, attempt: 1).first == .ignore(.staleAttempt))
    }

    /// A pause asked for and then withdrawn before it took effect leaves the workflow
    /// running; a late hand-back then dispatches at once.
    @Test func aResumeBeforeThePauseTookEffectWithdrawsIt() {
        var d = Driver()
        _ = d.submitted()
        _ = d.worker(.started, attempt: 1)
        _ = handle(&d, .pauseRequested)
        #expect(handle(&d, .resumeRequested) == [])
        #expect(!d.machine.pauseRequested)
        #expect(d.worker(.handedBack, attempt: 1).contains(.dispatch(attempt: 2, resumeFromStep: nil, humanInput: nil)))
        #expect(handle(&d, .resumeRequested) == [.ignore(.unexpected)])
    }

    /// Terminate ends it now, whatever it does, and tells the worker to stop; cancel
    /// and terminate both end a paused workflow.
    @Test func terminateEndsAWorkflowAtOnce() {
        var d = Driver()
        _ = d.submitted()
        _ = d.worker(.started, attempt: 1)
        let actions = handle(&d, .terminateRequested(reason: "runaway"))
        #expect(actions.first == .cancelActivity(attempt: 1, lease: "w1"))
        #expect(
            actions.contains(.recordError(ActivityFailure(kind: "terminated", message: "runaway", retryable: false))))
        #expect(d.machine.status == .cancelled)
        #expect(handle(&d, .terminateRequested(reason: "again")) == [.ignore(.alreadyTerminal)])
        #expect(handle(&d, .pauseRequested) == [.ignore(.alreadyTerminal)])

        var paused = Driver()
        _ = paused.submitted()
        _ = handle(&paused, .pauseRequested)
        _ = paused.cancel()
        #expect(paused.machine.status == .cancelled)
    }

    /// A machine saved before pauses existed reads back unpaused; a pause survives a reload.
    @Test func thePauseSurvivesAReload() throws {
        var d = Driver()
        _ = d.submitted()
        _ = d.worker(.started, attempt: 1)
        _ = handle(&d, .pauseRequested)
        let reloaded = try JSONDecoder().decode(
            WorkflowStateMachine.self, from: try JSONEncoder().encode(d.machine))
        #expect(reloaded == d.machine)
        #expect(reloaded.pauseRequested)
    }
}
