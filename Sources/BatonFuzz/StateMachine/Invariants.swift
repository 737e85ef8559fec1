import BatonContracts
import BatonFuzzSupport
import BatonWorkflow
import Foundation

/// What must hold after every event, whatever the events: a model of what the
/// scheduler's database holds for the workflow (armed timers, highest attempt
/// dispatched, newest checkpoint, terminal records), checked against the actions.
struct Invariants {
    static let target = StateMachineRun.target

    var timers: Set<WorkflowTimer> = []
    var highestAttempt = 0
    var newestCheckpoint: Int?
    var terminalRecords = 0
    var results = 0
    var firstTerminal: WorkflowStatus?

    mutating func check(
        before: WorkflowStateMachine, event: WorkflowEvent, actions: [WorkflowAction], after: WorkflowStateMachine
    ) {
        func fail(_ message: String) -> Never {
            FuzzViolation.fail(Self.target, "\(message); in \(before.state), event \(event) gave \(actions)")
        }
        if before.isTerminal {
            if !actions.isIgnoredAfterTheEnd { fail("a terminal workflow produced actions") }
            if !after.hasSameProgress(as: before) { fail("a terminal workflow changed") }
        }
        if after.attempt < before.attempt { fail("the attempt went backwards") }
        if case .timerFired(let timer, _) = event { timers.remove(timer) }
        var dispatched: Int?
        for action in actions {
            switch action {
            case .dispatch(let attempt, let resumeFromStep, _, let leaseToken):
                if resumeFromStep != newestCheckpoint { fail("dispatch does not resume from the newest checkpoint") }
                if attempt <= highestAttempt { fail("attempt \(attempt) dispatched twice") }
                if leaseToken != after.leaseToken { fail("the command's lease token is not the machine's") }
                if dispatched != nil { fail("two dispatches for one event") }
                highestAttempt = attempt
                dispatched = attempt
            case .storeCheckpoint(let checkpoint):
                if let newest = newestCheckpoint, checkpoint.step <= newest {
                    fail("checkpoint \(checkpoint.step) stored after \(newest)")
                }
                newestCheckpoint = checkpoint.step
            case .setTimer(let timer, let at, _):
                if at.timeIntervalSinceReferenceDate.isNaN { fail("timer \(timer) set at NaN") }
                timers.insert(timer)
            case .cancelTimer(let timer):
                if timers.remove(timer) == nil { fail("cancelled timer \(timer) that is not armed") }
            case .recordResult:
                results += 1
                terminalRecords += 1
            case .recordError:
                terminalRecords += 1
            case .cancelActivity, .pauseActivity, .recordProgress, .recordInterrupt, .clearInterrupt, .checkChildEnded,
                .notifyParent,
                .cancelChildren,
                .reject, .ignore:
                break
            }
        }
        if after.attempt != highestAttempt { fail("the machine's attempt is not the last one dispatched") }
        if let dispatched {
            guard case .dispatched(let attempt, _) = after.state, attempt == dispatched else {
                fail("dispatched attempt \(dispatched) but the state is \(after.state)")
            }
        }
        switch after.state {
        case .dispatched(let attempt, _), .running(let attempt, _, _), .cancelling(let attempt, _, _):
            if attempt != after.attempt { fail("the state holds attempt \(attempt), the machine \(after.attempt)") }
        default: break
        }
        if after.checkpointStep != newestCheckpoint { fail("the machine's checkpoint is not the newest stored") }
        if terminalRecords > 1 { fail("more than one terminal outcome recorded") }
        if results > 1 { fail("result recorded twice") }
        if after.isTerminal {
            if terminalRecords == 0 { fail("reached \(after.status) without recording it") }
            if after.status == .completed && results != 1 { fail("completed without recording a result") }
            if let firstTerminal, firstTerminal != after.status { fail("terminal state changed") }
            firstTerminal = after.status
            if !timers.isEmpty || !after.timers.isEmpty { fail("timers armed after the end") }
        } else if terminalRecords > 0 {
            fail("a terminal outcome recorded but the workflow is \(after.status)")
        }
        if timers != after.timers { fail("stored timers \(timers) and the machine's \(after.timers) disagree") }
    }
}
