import BatonContracts
import BatonWorkflow
import Foundation

extension WorkflowEngine {
    /// A new workflow that starts where another stood at one of its checkpoints: the
    /// same agent, input and options, that checkpoint's state, a new history. A retry
    /// is a fork of an ended workflow from its newest checkpoint. The source is never
    /// changed (an ended workflow ends once), but both histories say who forked what.
    struct Fork: Sendable {
        var source: String
        /// The checkpoint; nil for the newest (none: the new workflow starts afresh).
        var step: Int?
        var id: String?
        var tenant: String
        /// Who asked: the new workflow's caller.
        var by: String
        /// A retry: the source must have failed, timed out or been cancelled.
        var retry: Bool
    }

    enum ForkOutcome: Sendable {
        case created(WorkflowView)
        case notFound
        /// The source does not keep checkpoint `step`.
        case noCheckpoint(Int)
        case idTaken(String)
        /// A retry of a workflow that did not fail (it runs, or completed).
        case notRetryable(WorkflowStatus)
    }

    func fork(_ fork: Fork) async throws -> ForkOutcome {
        try await transaction { tx, run in try run.fork(fork, on: tx) }
    }
}

extension WorkflowEngine.Run {
    fileprivate mutating func fork(
        _ fork: WorkflowEngine.Fork, on tx: any WorkflowTransaction
    ) throws -> WorkflowEngine.ForkOutcome {
        guard let source = try tx.lockWorkflow(fork.source), source.tenant == fork.tenant else { return .notFound }
        if fork.retry, ![.failed, .timedOut, .cancelled].contains(source.machine.status) {
            return .notRetryable(source.machine.status)
        }
        var checkpoint: Checkpoint?
        if let step = fork.step ?? source.machine.checkpointStep {
            guard let stored = try tx.loadCheckpoint(of: source.id, step: step) else { return .noCheckpoint(step) }
            checkpoint = stored
        }
        let id = fork.id ?? UUID().uuidString.lowercased()
        let input = try JSONColumn.value(JSONValue.self, from: source.inputText) ?? .object([:])
        let machine = WorkflowStateMachine(
            options: source.machine.options, agent: source.agent, resumingFrom: checkpoint?.step)
        let origin = ForkOrigin(forkOf: source.id, step: checkpoint?.step, caller: fork.by, tenant: fork.tenant)
        let workflow = NewWorkflow(
            id: id, agent: source.agent, input: input, fingerprint: JSONColumn.text(origin), caller: fork.by,
            tenant: fork.tenant, parentId: nil, childKey: nil, machine: machine, now: now)
        guard try tx.insertWorkflow(workflow) else { return .idTaken(id) }
        if let checkpoint {
            try tx.storeCheckpoint(checkpoint, of: id, attempt: 0, retention: engine.settings.checkpointRetention)
        }
        let kind = fork.retry ? "retried" : "forked"
        let step: JSONValue = checkpoint.map { .number(Double($0.step)) } ?? .null
        _ = try tx.appendHistory(
            HistoryRecord(
                workflowId: source.id, eventId: nil, attempt: source.machine.attempt, type: kind, outcome: "applied",
                payload: JSONColumn.text(["workflow": .string(id), "step": step, "by": .string(fork.by)])))
        _ = try tx.appendHistory(
            HistoryRecord(
                workflowId: id, eventId: nil, attempt: 0, type: "\(kind)_from", outcome: "applied",
                payload: JSONColumn.text(["workflow": .string(source.id), "step": step, "by": .string(fork.by)])))
        _ = try apply(.command(workflowId: id, .submitted), on: tx)
        guard let view = try tx.view(of: id) else { throw WorkflowEngineError.vanished(id) }
        return .created(view)
    }
}

/// What makes a fork's id its own: the same id again is another workflow's.
private struct ForkOrigin: Encodable {
    var forkOf: String
    var step: Int?
    var caller: String
    var tenant: String
}
