import BatonContracts
import BatonFuzzMutations
import Foundation

@testable import BatonScheduler

/// The workers: each running activity is a graph of a few steps that may ask a person
/// once and start child workflows (agent "graph", input `children`), waiting for each.
/// Its checkpoint state says where it is: `step`, `asked`, `children` done, and the
/// `pending` wait the next answer belongs to.
struct SimulatedWorkers {
    struct Activity {
        var run: RunActivity
        var worker: String
        var state: GraphState
        var steps: Int
        /// The step of its newest checkpoint: each one is one more.
        var checkpointStep: Int
        /// The step and state of the checkpoint it sent last (or resumed from): the base
        /// of its next one's delta, when the scheduler takes deltas.
        var sent: (step: Int, state: JSONValue)?
        var crashed = false
    }

    struct GraphState: Equatable {
        var step = 0
        var asked = false
        var children = 0
        var pending: String?

        init() {}

        init(_ json: JSONValue) {
            step = json["step"]?.intValue ?? 0
            asked = json["asked"]?.boolValue ?? false
            children = json["children"]?.intValue ?? 0
            pending = json["pending"]?.stringValue
        }

        var json: JSONValue {
            [
                "step": .number(Double(step)), "asked": .bool(asked), "children": .number(Double(children)),
                "pending": pending.map(JSONValue.string) ?? .null,
            ]
        }
    }

    var running: [Activity] = []
    var started = 0
    /// Every state a worker checkpointed, by workflow and step: a stored state must be one of them.
    var published: [String: [Int: Set<JSONValue>]] = [:]

    static let question = InterruptRequest(
        title: "Approve?", question: "go on?", choices: [.init(id: "approve", label: "Approve")],
        allowsFreeText: false)
}

extension EngineSimulation {
    func deliverCommand() {
        guard !broker.commands.isEmpty else { return }
        let index = faulty && random.chance(0.3) ? random.below(broker.commands.count) : 0
        let command = broker.commands.remove(at: index)
        workers.started += 1
        let worker = "w\(workers.started)"
        if command.redelivered {
            // The worker that held it is gone, or only its connection: the receiver reports it.
            reportRedelivered(command.run, by: worker)
            return
        }
        var state = command.run.checkpoint.map { SimulatedWorkers.GraphState($0.state) } ?? .init()
        // The answer belongs to the wait the checkpoint recorded; any other is stale.
        if let pending = state.pending, let answer = command.run.humanInput {
            if pending == "ask", answer["choice"] == "approve" {
                state.asked = true
                state.pending = nil
            } else if pending.hasPrefix("child:"), answer["id"]?.stringValue == String(pending.dropFirst(6)) {
                state.children += 1
                state.pending = nil
            }
        }
        workers.running.append(
            SimulatedWorkers.Activity(
                run: command.run, worker: worker, state: state, steps: 3 + random.below(3),
                checkpointStep: command.run.checkpoint?.step ?? 0,
                sent: command.run.checkpoint.map { ($0.step, $0.state) }))
        emit(.started, for: workers.running[workers.running.count - 1])
    }

    /// The receiver's report, with its connection's age: never more than the broker's
    /// uptime, often less (it reconnected, or started later); now and then none (an
    /// older worker).
    func reportRedelivered(_ run: RunActivity, by worker: String) {
        let uptime = max(0, now.timeIntervalSince(broker.upSince))
        let age: Double? =
            switch random.below(10) {
            case 0: nil
            case 1..<5: uptime * random.unit()
            default: uptime
            }
        broker.events.append(
            WorkerEvent(
                eventId: nextEventId(), workflowId: run.workflowId, attempt: run.attempt, workerId: worker,
                leaseToken: run.leaseToken, kind: .redelivered(connectionAgeSeconds: age)))
    }

    func emit(_ kind: WorkerEvent.Kind, for activity: SimulatedWorkers.Activity) {
        broker.events.append(
            WorkerEvent(
                eventId: nextEventId(), workflowId: activity.run.workflowId, attempt: activity.run.attempt,
                workerId: activity.worker, leaseToken: activity.run.leaseToken, kind: kind))
    }

    func nextEventId() -> UUID {
        let (a, b) = (random.next(), random.next())
        return UUID(uuid: withUnsafeBytes(of: (a, b)) { bytes in bytes.load(as: uuid_t.self) })
    }

    func deliverEvent() async throws {
        guard !broker.events.isEmpty else { return }
        // A batch, as the consumer takes them; a replica that crashes before acking gets
        // them again later (applying them again changes nothing).
        let count = min(broker.events.count, 1 + random.below(4))
        let batch = Array(broker.events.prefix(count))
        broker.events.removeFirst(count)
        try await apply(batch)
        if faulty && random.chance(0.05) { broker.events.insert(contentsOf: batch, at: 0) }
    }

    func workerTick() async throws {
        stopCancelledActivities()
        guard !workers.running.isEmpty else { return }
        let index = random.below(workers.running.count)
        var activity = workers.running[index]
        if activity.crashed {
            workers.running.remove(at: index)
            // Its connection closed: the broker hands the command to another worker.
            if !faulty || random.chance(0.8) {
                broker.commands.append(SimulatedBroker.Command(run: activity.run, redelivered: true))
            }
            return
        }
        if faulty {
            if random.chance(0.02) {
                // A broker restart cuts every connection: every running command comes back,
                // and each live worker says it reconnected (before its command's redelivery
                // reaches a connection older than the lease check: the broker restarted).
                broker.upSince = now
                for live in workers.running where !live.crashed {
                    broker.commands.append(SimulatedBroker.Command(run: live.run, redelivered: true))
                    emit(.heartbeat(nil, reconnected: true), for: live)
                }
            }
            if random.chance(0.01) {
                // Only this worker's command connection was cut, the broker stayed up: an old
                // connection gets the command at once and reports it, then the worker says it
                // reconnected; it is fenced off and told to stop, its step in flight lost.
                workers.started += 1
                reportRedelivered(activity.run, by: "w\(workers.started)")
                emit(.heartbeat(nil, reconnected: true), for: activity)
            }
            if random.chance(0.03) {
                workers.running[index].crashed = true
                return
            }
            if random.chance(0.01) {
                emit(.handedBack, for: activity)  // draining, after its last checkpoint
                workers.running.remove(at: index)
                return
            }
            if random.chance(0.02) {
                let failure = ActivityFailure(kind: "agent_error", message: "flaky", retryable: random.chance(0.9))
                emit(.failed(failure), for: activity)
                workers.running.remove(at: index)
                return
            }
        }
        if random.chance(0.15) {
            emit(.heartbeat(ActivityProgress(step: activity.state.step)), for: activity)
            return
        }
        let wanted = activity.run.input["children"]?.intValue ?? 0
        if activity.state.step == 1 && !activity.state.asked && activity.state.pending == nil {
            activity.state.pending = "ask"
            checkpoint(&activity)
            emit(.interrupted(SimulatedWorkers.question), for: activity)
            workers.running.remove(at: index)
            return
        }
        if activity.state.step == 2 && activity.state.children < wanted && activity.state.pending == nil {
            try await startChild(of: &activity, at: index)
            return
        }
        activity.state.step += 1
        checkpoint(&activity)
        if activity.state.step >= activity.steps {
            emit(.completed(output: ["steps": .number(Double(activity.state.step))]), for: activity)
            workers.running.remove(at: index)
        } else {
            workers.running[index] = activity
        }
    }

    /// Always a delta when there is a base and the scheduler takes them, so that
    /// reordered and lost events meet the base check.
    private func checkpoint(_ activity: inout SimulatedWorkers.Activity) {
        activity.checkpointStep += 1
        let state = activity.state.json
        workers.published[activity.run.workflowId, default: [:]][activity.checkpointStep, default: []].insert(state)
        var checkpoint = Checkpoint(step: activity.checkpointStep, nextNodes: [], state: state)
        if activity.run.acceptsStateDeltas == true, let base = activity.sent {
            checkpoint = Checkpoint(
                step: activity.checkpointStep, nextNodes: [], state: nil,
                stateDelta: StateDelta.between(base.state, state), baseStep: base.step)
        }
        activity.sent = (activity.checkpointStep, state)
        emit(.checkpointed(checkpoint), for: activity)
    }

    /// The agent submits a child through the API (any replica), then waits for it.
    private func startChild(of activity: inout SimulatedWorkers.Activity, at index: Int) async throws {
        let key = "c\(activity.state.children)"
        let depth = activity.run.workflowId.split(separator: ".").count
        let request = SubmitWorkflowRequest(
            id: key, agent: "graph", input: ["children": .number(depth < 2 && random.chance(0.5) ? 1 : 0)],
            parentId: activity.run.workflowId)
        let child: String
        switch try await anyReplica.submit(request) {
        case .created(let view, _), .existing(let view): child = view.id
        default:
            workers.running.remove(at: index)  // its parent ended: the activity is a zombie
            return
        }
        activity.state.pending = "child:\(child)"
        checkpoint(&activity)
        emit(
            .interrupted(InterruptRequest(title: "child", question: "waiting for \(child)", childWorkflowId: child)),
            for: activity)
        workers.running.remove(at: index)
    }

    /// Workers obey most cancellations: they stop, and say so.
    private func stopCancelledActivities() {
        for cancel in broker.cancels {
            for (index, activity) in workers.running.enumerated().reversed()
            where activity.run.workflowId == cancel.workflowId && activity.run.attempt == cancel.attempt
                && (cancel.workerId == nil || cancel.workerId == activity.worker) && random.chance(0.9)
            {
                emit(.failed(ActivityFailure(kind: "cancelled", message: "stopped", retryable: false)), for: activity)
                workers.running.remove(at: index)
            }
        }
        broker.cancels.removeAll()
        // And most pauses: they hand the activity back (at what stands for their next checkpoint).
        for pause in broker.pauses {
            for (index, activity) in workers.running.enumerated().reversed()
            where activity.run.workflowId == pause.workflowId && activity.run.attempt == pause.attempt
                && pause.workerId == activity.worker && random.chance(0.9)
            {
                emit(.handedBack, for: activity)
                workers.running.remove(at: index)
            }
        }
        broker.pauses.removeAll()
    }
}

extension JSONValue {
    fileprivate var intValue: Int? {
        if case .number(let value) = self, let whole = Int(exactly: value) { return whole }
        return nil
    }

    fileprivate var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }
}
