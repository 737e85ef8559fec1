import BatonContracts
import BatonWorkflow
import Foundation

@testable import BatonScheduler

/// The production engine on an in-memory repository, with a clock the test moves and
/// lease tokens it knows ("token-1", "token-2", …).
struct EngineHarness {
    let repository = InMemoryWorkflowRepository()
    let clock = Locked(Date(timeIntervalSince1970: 1_800_000_000))
    let tokens = Locked(0)
    let wake = WakeSignal()
    var engine: WorkflowEngine

    static let options = WorkflowOptions(
        heartbeatIntervalSeconds: 5, heartbeatTimeoutSeconds: 30, scheduleToStartTimeoutSeconds: 60)

    init() {
        engine = WorkflowEngine(
            repository: repository,
            settings: WorkflowEngine.Settings(
                commandQueue: "agents", defaults: Self.options, checkpointRetention: 3),
            relayWake: wake)
        engine.maximumRetries = 5
        let (clock, tokens) = (clock, tokens)
        engine.clock = { clock.current }
        engine.entropy = WorkflowEngine.Entropy(
            draw: { 0.5 },
            leaseToken: {
                tokens.withLock {
                    $0 += 1
                    return "token-\($0)"
                }
            })
    }

    func advance(_ seconds: Double) {
        clock.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    /// Submits and returns the new workflow's id.
    @discardableResult
    func submit(_ id: String? = nil, agent: String = "chain", parent: String? = nil) async throws -> String {
        let request = SubmitWorkflowRequest(id: id, agent: agent, parentId: parent)
        guard case .created(let view, _) = try await engine.submit(request) else {
            throw HarnessError("submit of \(id ?? agent) did not create a workflow")
        }
        return view.id
    }

    /// A worker event for the workflow's current attempt, with its lease token.
    func event(_ id: String, _ kind: WorkerEvent.Kind, worker: String = "w1") -> WorkerEvent {
        let machine = repository.snapshot.workflows[id]?.stored.machine
        return WorkerEvent(
            workflowId: id, attempt: machine?.attempt ?? 1, workerId: worker, leaseToken: machine?.leaseToken,
            kind: kind)
    }

    @discardableResult
    func apply(_ events: WorkerEvent...) async throws -> [WorkflowEngine.Outcome] {
        try await engine.apply(events.map(WorkflowEngine.Input.worker))
    }

    func status(_ id: String) -> WorkflowStatus? {
        repository.snapshot.workflows[id]?.stored.machine.status
    }

    func history(_ id: String) -> [String] {
        repository.snapshot.history.filter { $0.workflowId == id }.map { "\($0.type) \($0.outcome)" }
    }

    /// The run commands written so far (and taken from the outbox).
    func takeRunCommands() throws -> [RunActivity] {
        try repository.drainOutbox().compactMap { message in
            if case .runActivity(let run) = try WorkerCommand.decode(message.body) { return run }
            return nil
        }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
