import BatonContracts
import Foundation
import Testing

@testable import BatonWorkflow

/// Parent and child workflows as the machine decides them: the engine only delivers
/// `childEnded` and executes `notifyParent` and `cancelChildren`.
@Suite struct ChildWorkflowMachineTests {
    typealias Driver = WorkflowStateMachineTests.Driver
    static let child = "p.review-1a2b3c4d"
    let waitForChild = InterruptRequest(title: "review", question: "waiting", childWorkflowId: child)
    let outcome = ChildWorkflowOutcome(id: child, agent: "review", status: .completed, result: ["ok": true])

    func waitingParent() -> Driver {
        var d = Driver()
        _ = d.submitted()
        _ = d.worker(.started, attempt: 1)
        _ = d.worker(.interrupted(waitForChild), attempt: 1)
        return d
    }

    @Test func aChildsEndResumesTheParentThatWaitsForIt() throws {
        var d = waitingParent()
        let actions = d.machine.handle(.childEnded(outcome), now: d.now, random: 0.5)
        #expect(actions.first == .clearInterrupt)
        guard case .dispatch(2, _, let answer?, _) = actions.dropFirst().first else {
            Issue.record("no dispatch with the outcome: \(actions)")
            return
        }
        #expect(try JSONValueCoding.decode(ChildWorkflowOutcome.self, from: answer) == outcome)
    }

    @Test func aWaitAsksWhetherTheChildHasEndedAlready() {
        var d = Driver()
        _ = d.submitted()
        _ = d.worker(.started, attempt: 1)
        // Before the wait: nothing to resume (the wait, when recorded, asks again).
        #expect(d.machine.handle(.childEnded(outcome), now: d.now, random: 0.5) == [.ignore(.unexpected)])
        let actions = d.worker(.interrupted(waitForChild), attempt: 1)
        #expect(actions.suffix(2) == [.recordInterrupt(waitForChild), .checkChildEnded(Self.child)])
        #expect(d.machine.handle(.childEnded(outcome), now: d.now, random: 0.5).contains(.clearInterrupt))
        #expect(d.machine.handle(.childEnded(outcome), now: d.now, random: 0.5) == [.ignore(.unexpected)])
    }

    @Test func anotherChildsEndDoesNotResumeTheWait() {
        var d = waitingParent()
        let other = ChildWorkflowOutcome(id: "p.other-00000000", agent: "x", status: .failed)
        #expect(d.machine.handle(.childEnded(other), now: d.now, random: 0.5) == [.ignore(.unexpected)])
        #expect(d.machine.status == .awaitingInput)
    }

    @Test func peopleCannotAnswerAWaitForAChild() {
        var d = waitingParent()
        #expect(d.answer("approve") == [.reject(.waitsForChildWorkflow(Self.child))])
        #expect(d.machine.status == .awaitingInput)
    }

    @Test func anAnswerThatDoesNotFitIsRejected() {
        var d = Driver()
        _ = d.submitted()
        _ = d.worker(.started, attempt: 1)
        let question = InterruptRequest(
            title: "Approve?", question: "ship it?", choices: [.init(id: "yes", label: "Yes")], allowsFreeText: false)
        _ = d.worker(.interrupted(question), attempt: 1)
        guard case .reject(.answerDoesNotFit("Approve?", _)) = d.answer(["choice": "maybe"]).first else {
            Issue.record("an unoffered choice was taken")
            return
        }
        #expect(d.answer(["choice": "yes"]).contains(.clearInterrupt))
    }

    @Test func aChildTellsItsParentHowItEnded() {
        var d = Driver()
        d.machine = WorkflowStateMachine(options: WorkflowStateMachineTests.options, agent: "review", parentId: "p")
        _ = d.submitted()
        let completed = d.worker(.completed(output: "done"), attempt: 1)
        #expect(completed.suffix(2) == [.recordResult("done"), .notifyParent(parentId: "p")])
        #expect(!completed.contains(.cancelChildren(parentEnded: .completed)))
    }

    @Test func aParentThatEndsUncompletedCancelsItsChildren() {
        var d = waitingParent()
        #expect(d.cancel().last == .cancelChildren(parentEnded: .cancelled))
        #expect(d.machine.handle(.childEnded(outcome), now: d.now, random: 0.5) == [.ignore(.alreadyTerminal)])
    }
}
