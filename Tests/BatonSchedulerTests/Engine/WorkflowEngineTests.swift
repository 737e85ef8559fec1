import BatonContracts
import BatonIdentity
import BatonTracing
import BatonWorkflow
import Foundation
import Testing

@testable import BatonScheduler

/// The engine on the in-memory repository: ordering, idempotence, retries, and the
/// parent/child follow-ups it applies in the same transaction.
@Suite struct WorkflowEngineTests {
    /// Issue #14: a submission's trace travels with its first command (to the relay,
    /// which sends it in the message's headers), and the trace of the event that ends a
    /// workflow reaches the "workflow completed" line. Without a tracer bootstrapped the
    /// headers are the test's own.
    @Test func theTraceOfWhatCausedACommandOrAnEndTravelsWithIt() async throws {
        var h = EngineHarness()
        let ended = Locked<[EndedWorkflow]>([])
        h.engine.onEnded = { workflows in ended.withLock { $0 += workflows } }
        let submitted = ["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]
        let outcome = try await h.engine.submit([
            WorkflowEngine.Submission(
                request: SubmitWorkflowRequest(id: "traced", agent: "chain"), tenant: TenantName.initial,
                trace: submitted)
        ])
        guard case .created = outcome.first else { throw HarnessError("not created: \(outcome)") }
        let commands = h.repository.drainOutbox()
        #expect(commands.count == 1)
        #expect(commands.first?.headers == submitted)

        let attempt = ["traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"]
        _ = try await h.engine.apply([.worker(h.event("traced", .started))], traces: [attempt])
        _ = try await h.engine.apply(
            [.worker(h.event("traced", .completed(output: "done")))], traces: [attempt])
        #expect(ended.withLock { $0 }.map(\.traceId) == ["0af7651916cd43dd8448eb211c80319c"])
        #expect(TraceHeaders.traceId(["traceparent": "00-00000000000000000000000000000000-b7ad6b7169203331-01"]) == nil)
        #expect(TraceHeaders.traceId(["traceparent": "not a trace"]) == nil)
        #expect(TraceHeaders.traceId([:]) == nil)
    }

    @Test func aBatchKeepsEachWorkflowsOrderAndAnswersInInputOrder() async throws {
        let h = EngineHarness()
        let a = try await h.submit("a")
        let b = try await h.submit("b")
        let outcomes = try await h.apply(
            h.event(b, .started), h.event(a, .started), h.event(a, .completed(output: "done")),
            h.event(b, .checkpointed(Checkpoint(step: 1, nextNodes: [], state: [:]))))
        #expect(outcomes == Array(repeating: .applied(ignored: nil), count: 4))
        #expect(h.status(a) == .completed)
        #expect(h.status(b) == .running)
        #expect(h.history(a) == ["submitted applied", "dispatched applied", "started applied", "completed applied"])
    }

    /// Submissions batched in one transaction get the outcome each would have alone: a
    /// repeated id finds the first (the same request, or a conflict), as does the id of
    /// an earlier workflow; a child and an unknown agent are handled as alone, and every
    /// created workflow is dispatched.
    @Test func submissionsInOneBatchHaveTheOutcomesTheyWouldHaveAlone() async throws {
        let h = EngineHarness()
        let parent = try await h.submit("p")
        h.repository.setLiveAgents(["chain"])
        let requests = [
            SubmitWorkflowRequest(id: "a", agent: "chain"),
            SubmitWorkflowRequest(id: "b", agent: "chain", input: ["n": 1]),
            SubmitWorkflowRequest(id: "a", agent: "chain"),
            SubmitWorkflowRequest(id: "b", agent: "chain", input: ["n": 2]),
            SubmitWorkflowRequest(agent: "chain", parentId: parent),
            SubmitWorkflowRequest(id: "p", agent: "chain"),
            SubmitWorkflowRequest(id: "x", agent: "nobody_serves_this"),
        ]
        let outcomes = try await h.engine.submit(requests.map { .init(request: $0, tenant: "default") })
        #expect(outcomes.count == requests.count)
        guard case .created(let a, _) = outcomes[0], case .created(let b, _) = outcomes[1],
            case .existing(let again) = outcomes[2], case .conflict = outcomes[3],
            case .created(let child, _) = outcomes[4],
            case .existing(let earlier) = outcomes[5], case .unknownAgent(let known) = outcomes[6]
        else {
            Issue.record("outcomes: \(outcomes)")
            return
        }
        #expect(a.id == "a" && b.id == "b" && again.id == "a" && child.parentId == parent && earlier.id == parent)
        #expect(a.status == .dispatched && a.attempt == 1 && b.input == ["n": 1])
        #expect(known == ["chain"])
        #expect(h.history("a") == ["submitted applied", "dispatched applied"])
        #expect(try h.takeRunCommands().map(\.workflowId).sorted() == ["a", "b", child.id, parent].sorted())
    }

    @Test func aRedeliveredEventIsADuplicateAndAnUnknownWorkflowIsSaid() async throws {
        let h = EngineHarness()
        let id = try await h.submit("w")
        let started = h.event(id, .started)
        #expect(try await h.apply(started) == [.applied(ignored: nil)])
        #expect(try await h.apply(started) == [.duplicate])
        let stray = WorkerEvent(workflowId: "nobody", attempt: 1, workerId: "w1", kind: .started)
        #expect(try await h.apply(stray) == [.unknownWorkflow])
    }

    @Test func transientFailuresAreRetriedAndALostCommitAnswerIsHarmless() async throws {
        let h = EngineHarness()
        let id = try await h.submit("w")
        let failures = Locked(2)
        h.repository.injectFaults { failures.take() ? .beforeCommit : nil }
        let started = h.event(id, .started)
        #expect(try await h.apply(started) == [.applied(ignored: nil)])
        // Committed, but the answer was lost: the retry finds the event applied.
        let once = Locked(1)
        h.repository.injectFaults { once.take() ? .afterCommit : nil }
        let checkpoint = h.event(id, .checkpointed(Checkpoint(step: 1, nextNodes: [], state: [:])))
        #expect(try await h.apply(checkpoint) == [.duplicate])
        #expect(h.history(id).filter { $0.hasPrefix("checkpointed") }.count == 1)
        h.repository.injectFaults { .beforeCommit }
        await #expect(throws: InMemoryWorkflowRepository.TransientFailure.self) {
            try await h.apply(h.event(id, .completed(output: "x")))
        }
        #expect(h.status(id) == .running)
    }

    @Test func theRelayIsWokenOnlyByCommandsToPublish() async throws {
        let h = EngineHarness()
        let id = try await h.submit("w")
        #expect(h.wake.isPending)
        await h.wake.wait(upTo: .milliseconds(1))
        try await h.apply(h.event(id, .started))
        #expect(!h.wake.isPending)
        _ = try await h.engine.command(.cancelRequested(reason: "stop"), to: id)
        #expect(h.wake.isPending)  // the worker is asked to stop
    }

    @Test func aChildsEndResumesItsWaitingParentInTheSameTransaction() async throws {
        let h = EngineHarness()
        let parent = try await h.submit("p", agent: "reviewed_analysis")
        try await h.apply(h.event(parent, .started))
        let child = try await h.submit("deep-dive", agent: "operations_analysis", parent: parent)
        #expect(child.hasPrefix("p.deep-dive-"))
        let wait = InterruptRequest(title: "waiting", question: "child", childWorkflowId: child)
        try await h.apply(h.event(parent, .interrupted(wait)))
        #expect(h.status(parent) == .awaitingInput)
        _ = try h.takeRunCommands()
        try await h.apply(h.event(child, .started), h.event(child, .completed(output: ["report": "r"])))
        #expect(h.status(child) == .completed)
        #expect(h.status(parent) == .dispatched)
        let resumed = try #require(try h.takeRunCommands().first { $0.workflowId == parent })
        let outcome = try JSONValueCoding.decode(ChildWorkflowOutcome.self, from: try #require(resumed.humanInput))
        #expect(
            outcome
                == ChildWorkflowOutcome(
                    id: child, agent: "operations_analysis", status: .completed, result: ["report": "r"]))
        #expect(h.repository.snapshot.workflows[parent]?.interrupt == nil)
        // Waiting again for the ended child (a graph resumed from an older checkpoint)
        // resumes at once; a person cannot answer for a running child, and nothing is
        // recorded of the try.
        try await h.apply(h.event(parent, .started), h.event(parent, .interrupted(wait)))
        #expect(h.status(parent) == .dispatched)
        let second = try await h.submit("second", parent: parent)
        let secondWait = InterruptRequest(title: "waiting", question: "child", childWorkflowId: second)
        try await h.apply(h.event(parent, .started), h.event(parent, .interrupted(secondWait)))
        let (answer, _) = try await h.engine.command(.humanInput("approve"), to: parent)
        #expect(answer == .rejected(.waitsForChildWorkflow(second)))
        #expect(!h.history(parent).contains { $0.hasPrefix("human_input") })
    }

    @Test func aChildThatEndsFirstResumesItsParentWhenTheWaitIsRecorded() async throws {
        let h = EngineHarness()
        let parent = try await h.submit("p")
        try await h.apply(h.event(parent, .started))
        let child = try await h.submit("c", parent: parent)
        try await h.apply(h.event(child, .started), h.event(child, .completed(output: "fast")))
        #expect(h.history(parent).last == "child_ended ignored: unexpected")  // not waiting yet
        _ = try h.takeRunCommands()
        let wait = InterruptRequest(title: "waiting", question: "child", childWorkflowId: child)
        try await h.apply(h.event(parent, .interrupted(wait)))
        #expect(h.status(parent) == .dispatched)
        #expect(try h.takeRunCommands().map(\.workflowId) == [parent])
    }

    @Test func aParentThatFailsCancelsItsTreeAsEachLevelEnds() async throws {
        let h = EngineHarness()
        let root = try await h.submit("root")
        try await h.apply(h.event(root, .started))
        let child = try await h.submit("c", parent: root)
        try await h.apply(h.event(child, .started))
        let grandchild = try await h.submit("g", parent: child)
        let failure = ActivityFailure(kind: "invalid_input", message: "bad", retryable: false)
        try await h.apply(h.event(root, .failed(failure)))
        #expect(h.status(root) == .failed)
        #expect(h.status(child) == .cancelling)  // running: its worker is asked to stop first
        #expect(h.status(grandchild) == .dispatched)  // its parent has not ended yet
        // The child's worker stops: the child ends, which cancels the grandchild (never
        // started: at once), and its end reaches the failed root, which ignores it.
        let stopped = ActivityFailure(kind: "cancelled", message: "stopped", retryable: false)
        try await h.apply(h.event(child, .failed(stopped)))
        #expect(h.status(child) == .cancelled)
        #expect(h.status(grandchild) == .cancelled)
        let reason = h.repository.snapshot.workflows[grandchild]?.error?.message
        #expect(reason == "its parent workflow \(child) ended (cancelled)")
        #expect(h.history(root).last == "child_ended ignored: already_terminal")
    }

    @Test func timersFireThroughTheEngineAndSilenceTimersCanWait() async throws {
        let h = EngineHarness()
        let id = try await h.submit("w")
        try await h.apply(h.event(id, .started))
        h.advance(31)
        #expect(try await h.engine.fireDueTimers(holding: [.heartbeat], limit: 10) == 0)
        #expect(try await h.engine.fireDueTimers(holding: [], limit: 10) == 1)
        #expect(h.status(id) == .backingOff)
        #expect(h.history(id).last == "timer_heartbeat applied")
    }
}

extension WorkflowEngineTests {
    /// Found writing the simulation: a zombie worker of an ended parent could submit a
    /// child that nothing would ever cancel or read.
    @Test func aChildOfAnEndedParentIsRefused() async throws {
        let h = EngineHarness()
        let parent = try await h.submit("p")
        _ = try await h.engine.command(.cancelRequested(reason: "stop"), to: parent)
        let outcome = try await h.engine.submit(SubmitWorkflowRequest(agent: "chain", parentId: parent))
        guard case .parentEnded(parent, .cancelled) = outcome else {
            Issue.record("a child of a cancelled parent was made: \(outcome)")
            return
        }
    }
}

extension WorkflowEngineTests {
    /// Found by the simulation (seed 197): two timers of one workflow due in one pass,
    /// the first (a lost worker's lease check) dispatching a new attempt that re-arms
    /// the second's kind. The second, taken at the start of the pass, fired anyway and
    /// left the machine believing no schedule-to-start timer was armed.
    @Test func aTimerReArmedByAnEarlierTimerOfThePassDoesNotFire() async throws {
        let h = EngineHarness()
        let id = try await h.submit("w")
        try await h.apply(h.event(id, .redelivered(), worker: "w2"))  // a hint: the lease check is armed
        h.advance(61)  // past the lease check and the schedule-to-start timeout
        #expect(try await h.engine.fireDueTimers(holding: [], limit: 10) == 1)
        let snapshot = h.repository.snapshot
        let machine = try #require(snapshot.workflows[id]?.stored.machine)
        #expect(machine.attempt == 2)
        let stored = Set(snapshot.timers.keys.filter { $0.workflowId == id }.map(\.timer))
        #expect(stored == machine.timers)
        #expect(stored.contains(.scheduleToStart))
    }
}
