import BatonContracts
import BatonWorkflow
import Foundation

@testable import BatonScheduler

/// What must hold after every step, read from the committed tables alone.
struct SimulationInvariants {
    /// What each workflow was at the last check, to see what changed since.
    private var seen: [String: (status: WorkflowStatus, attempt: Int, checkpoint: Int?)] = [:]
    private var historyChecked = 0
    private var terminalRecords: [String: Int] = [:]
    private(set) var checks = 0

    mutating func check(
        _ tables: InMemoryWorkflowRepository.Tables, published: [String: [Int: Set<JSONValue>]], step: Int,
        seed: UInt64
    ) throws {
        checks += 1
        func fail(_ id: String, _ message: String) -> SimulationViolation {
            // The workflow's latest history, so that the report shows how it got there.
            let recent = tables.history.filter { $0.workflowId == id }.suffix(12)
                .map { "\($0.type) (attempt \($0.attempt)) \($0.outcome)" }
            return SimulationViolation(
                seed: seed, step: step,
                message: "workflow \(id): \(message); its latest history: \(recent.joined(separator: " → "))")
        }
        // Each event is applied once: a result is taken once, whatever was redelivered.
        for entry in tables.history[historyChecked...] where entry.type == "completed" && entry.outcome == "applied" {
            terminalRecords[entry.workflowId, default: 0] += 1
            if terminalRecords[entry.workflowId]! > 1 { throw fail(entry.workflowId, "completed twice") }
        }
        historyChecked = tables.history.count
        let timersByWorkflow = Dictionary(grouping: tables.timers.keys, by: \.workflowId)
        for (id, row) in tables.workflows {
            let machine = row.stored.machine
            if let before = seen[id] {
                if before.status.isTerminal && machine.status != before.status {
                    throw fail(id, "ended \(before.status), then became \(machine.status)")
                }
                if machine.attempt < before.attempt { throw fail(id, "the attempt went back to \(machine.attempt)") }
                if let old = before.checkpoint, (machine.checkpointStep ?? 0) < old {
                    throw fail(id, "the checkpoint went back from \(old)")
                }
            }
            seen[id] = (machine.status, machine.attempt, machine.checkpointStep)
            // The newest checkpoint is stored, with a state a worker had at that step (a
            // delta applied to the wrong base would make one no worker had).
            if let newest = machine.checkpointStep {
                let stored = tables.checkpoints[id]?[newest]
                if tables.checkpoints[id]?.keys.max() != newest || stored == nil {
                    throw fail(id, "the machine's checkpoint \(newest) is not the newest stored")
                }
                if let state = stored?.state, published[id]?[newest]?.contains(state) != true {
                    throw fail(id, "checkpoint \(newest) holds a state no worker had: \(state)")
                }
            }
            let armed = Set((timersByWorkflow[id] ?? []).map(\.timer))
            if armed != machine.timers {
                throw fail(
                    id,
                    "timers stored \(armed.map(\.rawValue).sorted()), machine has \(machine.timers.map(\.rawValue).sorted())"
                )
            }
            if machine.isTerminal {
                if row.finishedAt == nil { throw fail(id, "ended without finished_at") }
                if (machine.status == .completed) != (row.result != nil) {
                    throw fail(id, "\(machine.status) with result \(String(describing: row.result))")
                }
                if machine.status != .completed && row.error == nil {
                    throw fail(id, "\(machine.status) without error")
                }
            }
            if case .running(let attempt, _, _) = machine.state, attempt != machine.attempt {
                throw fail(id, "runs attempt \(attempt) of \(machine.attempt)")
            }
            // A child's end and its parent's wait are applied in one transaction, in either order.
            if case .awaitingInput(let request) = machine.state, let child = request.childWorkflowId,
                tables.workflows[child]?.stored.machine.isTerminal == true
            {
                throw fail(id, "waits for child \(child), which has ended")
            }
            if let parentId = row.parentId, let parent = tables.workflows[parentId]?.stored.machine,
                parent.isTerminal, parent.status != .completed, !machine.isTerminal,
                machine.status != .cancelling
            {
                throw fail(id, "runs on (\(machine.status)) although its parent \(parentId) ended \(parent.status)")
            }
            if machine.parentId != row.parentId { throw fail(id, "the machine's parent is not the row's") }
        }
    }
}
