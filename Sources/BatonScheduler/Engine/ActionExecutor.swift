import BatonContracts
import BatonWorkflow
import Foundation

/// Executes a machine's actions on a transaction, in order, and saves the machine.
///
/// Decides nothing: a dispatch becomes a command in the outbox, a timer a timer row,
/// an ending the row's error or result. Actions about other workflows come back as
/// follow-ups, which the engine applies.
struct ActionExecutor {
    let settings: WorkflowEngine.Settings
    var admission: DispatchAdmission? = nil

    struct Execution {
        /// A command was written to the outbox.
        var enqueued = false
        /// A run command was held for the dispatch gate.
        var held = false
        var followUps: [FollowUp] = []
        /// The workflow's result was recorded: its tokens and cost in all, for the metrics.
        var endedWithUsage: UsageSummary?
    }

    enum FollowUp: Equatable {
        case checkChildEnded(String)
        case notifyParent(String)
        case cancelChildren(parentEnded: WorkflowStatus)
    }

    /// `trace`: the headers of the trace the commands continue (`TraceHeaders`).
    /// `saving`: false for a workflow that had already ended. Nothing of it changes, and
    /// its `finished_at` and `updated_at` keep the time it ended (a zombie's late event
    /// once moved them).
    func execute(
        _ actions: [WorkflowAction], of workflow: StoredWorkflow, machine: WorkflowStateMachine, saving: Bool,
        now: Date, trace: [String: String] = [:], on tx: any WorkflowTransaction
    ) throws -> Execution {
        let id = workflow.id
        var execution = Execution()
        var update = WorkflowUpdate(id: id, machine: machine, now: now, error: nil, interrupt: .unchanged, usage: nil)
        /// A command for the workers running the workflow, on the control exchange they all hear.
        func sendControl(_ command: WorkerCommand) throws {
            try tx.enqueue(
                OutboxMessage(
                    workflowId: id, exchange: WorkerCommand.controlExchange(for: settings.commandQueue),
                    routingKey: "", body: command.encoded(), headers: trace))
            execution.enqueued = true
        }
        for action in actions {
            switch action {
            case .dispatch(let attempt, let step, let humanInput, let leaseToken):
                let checkpoint = try step.flatMap { try tx.loadCheckpoint(of: id, step: $0) }
                let command = WorkerCommand.runActivity(
                    RunActivity(
                        workflowId: id, attempt: attempt, agent: workflow.agent,
                        input: try JSONColumn.value(JSONValue.self, from: workflow.inputText) ?? .null,
                        checkpoint: checkpoint, humanInput: humanInput,
                        heartbeatIntervalSeconds: machine.options.heartbeatIntervalSeconds, caller: workflow.caller,
                        leaseToken: leaseToken, eventsRoutingKey: EventPartitions.routingKey(for: id),
                        acceptsStateDeltas: true, limits: settings.limits, tenant: workflow.tenant))
                let held =
                    settings.fairDispatch && admission?.admitDirectly(workflow.tenant) != true
                    ? HeldDispatch(tenant: workflow.tenant, attempt: attempt) : nil
                try tx.enqueue(
                    OutboxMessage(
                        workflowId: id, exchange: "", routingKey: settings.commandQueue, body: command.encoded(),
                        heldFor: held, headers: trace))
                if held == nil { execution.enqueued = true } else { execution.held = true }
                _ = try tx.appendHistory(HistoryEntries.dispatched(id, attempt: attempt, resumeFromStep: step))
            case .setTimer(let timer, let at, let attempt):
                try tx.setTimer(timer, of: id, at: at, attempt: attempt)
            case .cancelTimer(let timer):
                try tx.deleteTimer(timer, of: id)
            case .cancelActivity(let attempt, let lease):
                try sendControl(.cancelActivity(CancelActivity(workflowId: id, attempt: attempt, workerId: lease)))
            case .pauseActivity(let attempt, let lease):
                try sendControl(.pauseActivity(PauseActivity(workflowId: id, attempt: attempt, workerId: lease)))
            case .storeCheckpoint(let checkpoint):
                try tx.storeCheckpoint(
                    checkpoint, of: id, attempt: machine.attempt, retention: settings.checkpointRetention)
                if let byNode = checkpoint.usage { update.usage = UsageSummary(byNode: byNode) }
            case .recordProgress(let progress):
                try tx.recordProgress(progress, of: id)
            case .recordInterrupt(let request):
                update.interrupt = .set(request)
            case .clearInterrupt:
                update.interrupt = .cleared
            case .recordResult(let output):
                update.result = output
                execution.endedWithUsage = update.usage ?? workflow.usage
            case .recordError(let failure):
                update.error = failure
            case .checkChildEnded(let child):
                execution.followUps.append(.checkChildEnded(child))
            case .notifyParent(let parent):
                execution.followUps.append(.notifyParent(parent))
            case .cancelChildren(let status):
                execution.followUps.append(.cancelChildren(parentEnded: status))
            case .reject, .ignore:
                break
            }
        }
        if saving {
            try tx.saveWorkflow(update)
            // Ended now: nothing resumes from an older checkpoint, or rebuilds a state again.
            if machine.isTerminal { try tx.compactCheckpoints(of: id) }
        }
        return execution
    }
}
