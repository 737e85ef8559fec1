import BatonContracts
import BatonWorkflow

/// What a workflow's history keeps of each input.
///
/// Every event is kept but heartbeats (a long step sends thousands; the machine keeps
/// the latest), except a worker's report that it reconnected, which decides how a later
/// redelivery is read. A worker event keeps its id, which makes a redelivered one a
/// duplicate. Checkpoint states live in `checkpoint_changes`: the history keeps the step.
/// The lease token is a secret and is never kept.
enum HistoryEntries {
    static func entry(for input: WorkflowEngine.Input, attempt: Int, outcome: String) -> HistoryRecord? {
        switch input {
        case .worker(let event):
            guard input.event.isKeptInHistory else { return nil }
            return HistoryRecord(
                workflowId: event.workflowId, eventId: event.eventId, attempt: attempt, type: event.type,
                outcome: outcome, payload: payload(of: event))
        case .command(let workflowId, let event, let person):
            return HistoryRecord(
                workflowId: workflowId, eventId: nil, attempt: attempt, type: event.historyType, outcome: outcome,
                payload: payload(of: event, by: person))
        }
    }

    private static func payload(of event: WorkerEvent) -> String? {
        switch event.kind {
        case .checkpointed(let checkpoint):
            JSONColumn.text(["step": checkpoint.step])
        case .heartbeat(_, reconnected: true):
            JSONColumn.text(["worker": .string(event.workerId), "reconnected": true] as [String: JSONValue])
        case .redelivered(let age?):
            // The receiving connection's age: why the attempt was given up at once, or not.
            JSONColumn.text(
                ["worker": .string(event.workerId), "connection_age_s": .number(age)] as [String: JSONValue])
        case .started, .heartbeat, .redelivered, .handedBack:
            JSONColumn.text(["worker": event.workerId])
        default:
            String(
                decoding: WorkerEvent(
                    eventId: event.eventId, workflowId: event.workflowId, attempt: event.attempt,
                    workerId: event.workerId, kind: event.kind
                ).encoded(), as: UTF8.self)
        }
    }

    /// What the history keeps of a command, with who gave it when a person did.
    private static func payload(of event: WorkflowEvent, by person: String?) -> String? {
        var fields: [String: JSONValue] = [:]
        switch event {
        case .humanInput(let answer): fields["answer"] = answer
        case .cancelRequested(let reason), .terminateRequested(let reason): fields["reason"] = .string(reason)
        case .childEnded(let outcome):
            fields["child"] = .string(outcome.id)
            fields["status"] = .string(outcome.status.rawValue)
        default: break
        }
        if let person { fields["by"] = .string(person) }
        return fields.isEmpty ? nil : JSONColumn.text(fields)
    }

    /// The entry a dispatch adds.
    static func dispatched(_ workflowId: String, attempt: Int, resumeFromStep step: Int?) -> HistoryRecord {
        HistoryRecord(
            workflowId: workflowId, eventId: nil, attempt: attempt, type: "dispatched", outcome: "applied",
            payload: JSONColumn.text(["resume_from_step": step]))
    }
}
