import BatonContracts
import BatonWorkflow
import Foundation

/// Where workflows are kept: PostgreSQL in production (`PostgresWorkflowRepository`),
/// memory in the simulation. The engine sees only this, so both run the same engine.
///
/// Everything happens in transactions: what a body does commits together or not at
/// all, and a workflow it locks stays locked until the transaction ends.
protocol WorkflowRepository: Sendable {
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any WorkflowTransaction) throws -> T) async throws -> T
    /// Whether `error` may pass if the transaction is tried again (a deadlock, a
    /// serialization failure, a lost connection).
    func isTransient(_ error: any Error) -> Bool
    /// Whether `error` is a wait for the store that ran out of its limit: trying again at
    /// once would keep the caller waiting that long again.
    func isTimeout(_ error: any Error) -> Bool
}

extension WorkflowRepository {
    func isTimeout(_ error: any Error) -> Bool { false }
}

/// The reads and writes of one transaction.
protocol WorkflowTransaction {
    /// Locks the workflows (in id order) and looks up the event ids that a batch is
    /// about to apply, in as few round trips as the store allows; `lockWorkflow` and
    /// `appendHistory` then answer for them without asking the store again.
    func prepare(lockingWorkflows ids: [String], eventIds: [UUID]) throws
    /// Locks the workflow until the transaction ends and returns it; nil when there is none.
    func lockWorkflow(_ id: String) throws -> StoredWorkflow?
    /// Inserts a new workflow; false when its id (or its parent and child key) is taken.
    func insertWorkflow(_ workflow: NewWorkflow) throws -> Bool
    /// Inserts new top-level workflows of distinct ids at once; returns the ids inserted
    /// (the others are taken).
    func insertWorkflows(_ workflows: [NewWorkflow]) throws -> Set<String>
    /// The fingerprint of workflow `id`'s submission, nil when there is no such workflow.
    func fingerprint(of id: String) throws -> String?
    /// The child `parent` submitted with `key`, with its submission's fingerprint.
    func child(of parent: String, key: String) throws -> (id: String, fingerprint: String)?
    func saveWorkflow(_ update: WorkflowUpdate) throws
    /// Appends to the history; false when an entry with this event id exists.
    func appendHistory(_ entry: HistoryRecord) throws -> Bool
    func enqueue(_ message: OutboxMessage) throws
    func setTimer(_ timer: WorkflowTimer, of workflowId: String, at: Date, attempt: Int) throws
    func deleteTimer(_ timer: WorkflowTimer, of workflowId: String) throws
    /// Stores a checkpoint (once per step, only steps above the newest stored) and deletes
    /// those older than the newest `retention`. A checkpoint may carry its state as a
    /// delta on the newest stored checkpoint; a delta on any other base is refused with
    /// an error, and nothing of the transaction is kept.
    func storeCheckpoint(_ checkpoint: Checkpoint, of workflowId: String, attempt: Int, retention: Int) throws
    /// The checkpoint with its state whole (rebuilt from the stored changes).
    func loadCheckpoint(of workflowId: String, step: Int) throws -> Checkpoint?
    /// The workflow has ended: keep its newest checkpoint only, its state whole.
    func compactCheckpoints(of workflowId: String) throws
    func recordProgress(_ progress: ActivityProgress, of workflowId: String) throws
    /// The children of `parent` that have not ended, in id order.
    func unfinishedChildren(of parent: String) throws -> [String]
    /// How workflow `id` ended, for its parent; nil if it has not.
    func outcome(of id: String) throws -> ChildWorkflowOutcome?
    /// Up to `limit` timers due at `now` whose workflows no other transaction holds,
    /// their workflows locked; kinds in `held` wait.
    func dueTimers(now: Date, holding held: [WorkflowTimer], limit: Int) throws -> [DueTimer]
    /// Deletes the timer if it is still armed as `due` says and still due; false when an
    /// earlier input of this transaction re-armed or cancelled it (it must not fire).
    func takeTimer(_ due: DueTimer, now: Date) throws -> Bool
    /// The agents live workers serve; nil when no live worker has reported.
    func liveAgents(now: Date) throws -> Set<String>?
    func view(of id: String) throws -> WorkflowView?
}

extension WorkflowTransaction {
    func prepare(lockingWorkflows ids: [String], eventIds: [UUID]) throws {}

    func insertWorkflows(_ workflows: [NewWorkflow]) throws -> Set<String> {
        Set(try workflows.filter { try insertWorkflow($0) }.map(\.id))
    }
}

/// A workflow as the engine needs it to apply an event.
struct StoredWorkflow: Sendable {
    var id: String
    var agent: String
    /// The input as stored: parsed only when a command needs it.
    var inputText: String
    var caller: String?
    var tenant: String = "default"
    var machine: WorkflowStateMachine
    /// Tokens and cost so far, for the metrics counted when the workflow ends.
    var usage: UsageSummary? = nil
}

struct NewWorkflow: Sendable {
    var id: String
    var agent: String
    var input: JSONValue
    var fingerprint: String
    var caller: String?
    var tenant: String = "default"
    var parentId: String?
    var childKey: String?
    var machine: WorkflowStateMachine
    var now: Date
}

/// What an applied event changes in a workflow's row besides its satellites.
struct WorkflowUpdate: Sendable {
    var id: String
    var machine: WorkflowStateMachine
    var now: Date
    var error: ActivityFailure?
    var interrupt: InterruptChange
    var usage: UsageSummary?
    var result: JSONValue? = nil

    enum InterruptChange: Sendable {
        case unchanged
        case set(InterruptRequest)
        case cleared
    }
}

struct HistoryRecord: Sendable {
    var workflowId: String
    /// The worker event's id; nil for the scheduler's own entries.
    var eventId: UUID?
    var attempt: Int
    var type: String
    var outcome: String
    /// JSON text.
    var payload: String?
}

/// A message to publish after the transaction commits (the outbox relay does).
struct OutboxMessage: Sendable {
    var workflowId: String
    var exchange: String
    var routingKey: String
    var body: Data
    /// A run command held for fair dispatch: it waits in the dispatch queue under its
    /// tenant until the dispatch gate releases it to the outbox.
    var heldFor: HeldDispatch? = nil
    /// The trace the command continues (`TraceHeaders`); empty when tracing is off.
    var headers: [String: String] = [:]
}

struct HeldDispatch: Sendable, Hashable {
    var tenant: String
    var attempt: Int
}

struct DueTimer: Sendable, Hashable {
    var workflowId: String
    var timer: WorkflowTimer
    var attempt: Int
}
