import BatonContracts
import BatonWorkflow
import Foundation

@testable import BatonScheduler

/// One transaction on a copy of the tables, kept only if it commits.
final class InMemoryWorkflowTransaction: WorkflowTransaction {
    typealias Tables = InMemoryWorkflowRepository.Tables
    typealias TimerKey = InMemoryWorkflowRepository.TimerKey
    var tables: Tables

    init(tables: Tables) {
        self.tables = tables
    }

    func lockWorkflow(_ id: String) throws -> StoredWorkflow? {
        guard let row = tables.workflows[id] else { return nil }
        var stored = row.stored
        stored.usage = row.usage
        return stored
    }

    func insertWorkflow(_ workflow: NewWorkflow) throws -> Bool {
        guard tables.workflows[workflow.id] == nil else { return false }
        if let parent = workflow.parentId, let key = workflow.childKey, try child(of: parent, key: key) != nil {
            return false
        }
        tables.workflows[workflow.id] = InMemoryWorkflowRepository.Row(
            stored: StoredWorkflow(
                id: workflow.id, agent: workflow.agent, inputText: JSONColumn.text(workflow.input),
                caller: workflow.caller, tenant: workflow.tenant, machine: try Self.stored(workflow.machine)),
            input: workflow.input, fingerprint: workflow.fingerprint, parentId: workflow.parentId,
            childKey: workflow.childKey, createdAt: workflow.now, updatedAt: workflow.now)
        return true
    }

    func fingerprint(of id: String) throws -> String? {
        tables.workflows[id]?.fingerprint
    }

    func child(of parent: String, key: String) throws -> (id: String, fingerprint: String)? {
        tables.workflows.values.first { $0.parentId == parent && $0.childKey == key }.map {
            ($0.stored.id, $0.fingerprint)
        }
    }

    func saveWorkflow(_ update: WorkflowUpdate) throws {
        guard var row = tables.workflows[update.id] else { return }
        let machine = try Self.stored(update.machine)
        row.stored.machine = machine
        row.updatedAt = update.now
        if case .running(_, _, let lastHeartbeat) = machine.state { row.lastHeartbeatAt = lastHeartbeat }
        if machine.isTerminal { row.finishedAt = update.now }
        if let error = update.error { row.error = error }
        switch update.interrupt {
        case .unchanged: break
        case .set(let request): row.interrupt = request
        case .cleared: row.interrupt = nil
        }
        if let usage = update.usage { row.usage = usage }
        if let result = update.result { row.result = result }
        tables.workflows[update.id] = row
    }

    func appendHistory(_ entry: HistoryRecord) throws -> Bool {
        if let eventId = entry.eventId {
            guard tables.eventIds.insert(eventId).inserted else { return false }
        }
        tables.history.append(entry)
        return true
    }

    func enqueue(_ message: OutboxMessage) throws {
        tables.outbox.append(message)
    }

    func setTimer(_ timer: WorkflowTimer, of workflowId: String, at: Date, attempt: Int) throws {
        tables.timers[TimerKey(workflowId: workflowId, timer: timer)] = (at, attempt)
    }

    func deleteTimer(_ timer: WorkflowTimer, of workflowId: String) throws {
        tables.timers[TimerKey(workflowId: workflowId, timer: timer)] = nil
    }

    /// As `CheckpointRows`: a delta lands only on the newest stored checkpoint, whose
    /// whole state is kept here; a step stored already, or older than the newest, stores nothing.
    func storeCheckpoint(_ checkpoint: Checkpoint, of workflowId: String, attempt: Int, retention: Int) throws {
        var stored = tables.checkpoints[workflowId] ?? [:]
        let newest = stored.keys.max()
        if let newest, checkpoint.step <= newest { return }
        if checkpoint.isDelta, let base = checkpoint.baseStep, base != newest {
            throw CheckpointRefused(step: checkpoint.step, workflowId: workflowId, base: base, newest: newest)
        }
        stored[checkpoint.step] = checkpoint.applyingDelta(to: newest.flatMap { stored[$0]?.state } ?? .null)
        if checkpoint.step > retention {
            stored = stored.filter { $0.key > checkpoint.step - retention }
        }
        tables.checkpoints[workflowId] = stored
    }

    func loadCheckpoint(of workflowId: String, step: Int) throws -> Checkpoint? {
        tables.checkpoints[workflowId]?[step]
    }

    func compactCheckpoints(of workflowId: String) throws {
        guard let stored = tables.checkpoints[workflowId], let newest = stored.keys.max() else { return }
        tables.checkpoints[workflowId] = stored.filter { $0.key == newest }
    }

    func recordProgress(_ progress: ActivityProgress, of workflowId: String) throws {
        tables.workflows[workflowId]?.progress = progress
    }

    func unfinishedChildren(of parent: String) throws -> [String] {
        tables.workflows.values.filter { $0.parentId == parent && $0.finishedAt == nil }.map(\.stored.id).sorted()
    }

    func outcome(of id: String) throws -> ChildWorkflowOutcome? {
        guard let row = tables.workflows[id], row.stored.machine.isTerminal else { return nil }
        return ChildWorkflowOutcome(
            id: id, agent: row.stored.agent, status: row.stored.machine.status, result: row.result, error: row.error,
            usage: row.usage)
    }

    func dueTimers(now: Date, holding held: [WorkflowTimer], limit: Int) throws -> [DueTimer] {
        let due = tables.timers.filter { $0.value.at <= now && !held.contains($0.key.timer) }.keys.sorted().prefix(
            limit)
        return due.map { key in
            DueTimer(workflowId: key.workflowId, timer: key.timer, attempt: tables.timers[key]?.attempt ?? 0)
        }
    }

    func takeTimer(_ due: DueTimer, now: Date) throws -> Bool {
        let key = TimerKey(workflowId: due.workflowId, timer: due.timer)
        guard let armed = tables.timers[key], armed.attempt == due.attempt, armed.at <= now else { return false }
        tables.timers[key] = nil
        return true
    }

    func liveAgents(now: Date) throws -> Set<String>? {
        tables.liveAgents
    }

    func view(of id: String) throws -> WorkflowView? {
        guard let row = tables.workflows[id] else { return nil }
        let machine = row.stored.machine
        return WorkflowView(
            id: id, agent: row.stored.agent, status: machine.status, attempt: machine.attempt, input: row.input,
            progress: row.progress, result: row.result, error: row.error, checkpointStep: machine.checkpointStep,
            interrupt: try row.interrupt.map { try JSONValue(encoding: $0) }, caller: row.stored.caller,
            tenant: row.stored.tenant, parentId: row.parentId, usage: row.usage, createdAt: row.createdAt,
            updatedAt: row.updatedAt)
    }

    /// The machine as PostgreSQL gives it back: through its JSON column, so that a
    /// field lost on the way shows in the simulation (a scheduler reloads every machine).
    private static func stored(_ machine: WorkflowStateMachine) throws -> WorkflowStateMachine {
        guard let reloaded = try JSONColumn.value(WorkflowStateMachine.self, from: JSONColumn.text(machine)) else {
            return machine
        }
        return reloaded
    }
}
