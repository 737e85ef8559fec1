import BatonContracts
import BatonWorkflow
import Foundation
import Testing

/// The cap on a workflow's history (`limits.max_history_entries`): an agent looping
/// without end once grew its history, and every read and stream of it, without bound.
@Suite struct HistoryLimitTests {
    let t0 = Date(timeIntervalSince1970: 1_000_000)

    func feed(_ machine: inout WorkflowStateMachine, _ event: WorkflowEvent, limit: Int?) -> [WorkflowAction] {
        machine.handle(event, now: t0, random: 0.5, newLeaseToken: "token", historyLimit: limit)
    }

    func worker(_ kind: WorkerEvent.Kind) -> WorkflowEvent {
        .worker(kind, attempt: 1, workerId: "w1", leaseToken: "token")
    }

    @Test func theEntryThatReachesTheCapFailsTheWorkflowAndStopsItsAttempt() {
        var machine = WorkflowStateMachine(options: WorkflowOptions(), agent: "loop")
        let limit = 6
        _ = feed(&machine, .submitted, limit: limit)
        _ = feed(&machine, worker(.started), limit: limit)
        // Plain heartbeats are not kept in the history, so they do not count.
        for _ in 0..<50 { _ = feed(&machine, worker(.heartbeat(nil)), limit: limit) }
        #expect(machine.historyLength == 2)
        var step = 0
        var last: [WorkflowAction] = []
        while !machine.isTerminal && step < 100 {
            step += 1
            last = feed(
                &machine,
                worker(.checkpointed(Checkpoint(step: step, nextNodes: ["loop"], state: ["n": .number(Double(step))]))),
                limit: limit)
        }
        #expect(step == 4)  // submitted, started and four checkpoints make six entries
        #expect(machine.historyLength == limit)
        #expect(machine.status == .failed)
        #expect(last.contains(.cancelActivity(attempt: 1, lease: "w1")))
        let failure = last.compactMap { if case .recordError(let failure) = $0 { failure } else { nil } }.first
        #expect(failure?.kind == "history_too_long")
        #expect(failure?.retryable == false)
        #expect(failure?.message.contains("limits.max_history_entries") == true)
        // Events after the end change nothing and end nothing twice.
        let late = feed(&machine, worker(.completed(output: "late")), limit: limit)
        #expect(!late.contains { if case .recordError = $0 { true } else { false } })
        #expect(machine.status == .failed)
        #expect(machine.historyLength == limit)
    }

    @Test func withoutACapNothingEndsAndTheCountIsKeptWithTheMachine() throws {
        var machine = WorkflowStateMachine(options: WorkflowOptions(), agent: "loop")
        _ = feed(&machine, .submitted, limit: nil)
        _ = feed(&machine, worker(.started), limit: nil)
        for step in 1...20 {
            _ = feed(
                &machine, worker(.checkpointed(Checkpoint(step: step, nextNodes: ["loop"], state: [:]))), limit: nil)
        }
        #expect(machine.status == .running)
        #expect(machine.historyLength == 22)
        let stored = try JSONDecoder().decode(WorkflowStateMachine.self, from: JSONEncoder().encode(machine))
        #expect(stored.historyLength == 22)
    }

    @Test func machinesSavedBeforeTheCountStartFromZero() throws {
        let machine = WorkflowStateMachine(options: WorkflowOptions(), agent: "loop")
        var object = try JSONDecoder().decode([String: JSONValue].self, from: JSONEncoder().encode(machine))
        object["historyLength"] = nil
        let old = try JSONDecoder().decode(WorkflowStateMachine.self, from: JSONEncoder().encode(object))
        #expect(old.historyLength == 0)
    }
}
