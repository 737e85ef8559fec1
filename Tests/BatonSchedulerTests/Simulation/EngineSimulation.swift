import BatonContracts
import BatonFuzzMutations
import BatonWorkflow
import Foundation

@testable import BatonScheduler

/// The production `WorkflowEngine` and `ActionExecutor`, several replicas of them, on
/// the in-memory repository, under simulated time and faults (TigerBeetle's VOPR is
/// the model). Everything comes from one seed: the same seed gives the same run, and a
/// failing seed is the whole bug report (`BATON_SIM_SEED=n` replays it).
///
/// Around the engine: a broker (commands, cancellations and events, duplicated,
/// reordered and in safety mode lost), an outbox relay that may publish a batch twice
/// (it crashed before deleting it) or late (the scheduler crashed between commit and
/// publish), workers that run graphs of a few steps, ask people, start child
/// workflows and wait for them, crash, and drain; people who answer and cancel;
/// transactions that fail before their commit or lose their answer after it.
/// `SimulationInvariants` are checked after every step.
final class EngineSimulation {
    enum Mode {
        /// Faults everywhere, messages may be lost: only safety is checked.
        case safety
        /// No message is lost and faults stop after the fault phase: everything must end.
        case liveness
    }

    let seed: UInt64
    let mode: Mode
    var random: SeededGenerator
    let repository = InMemoryWorkflowRepository()
    let clock: Locked<Date>
    var replicas: [WorkflowEngine] = []
    var invariants = SimulationInvariants()
    var broker = SimulatedBroker()
    var workers = SimulatedWorkers()
    var step = 0
    var faultPhase = 1_000
    var inputsApplied = 0
    /// Checkpoint deltas refused for want of their base (dead-lettered).
    var refusedCheckpoints = 0
    var submitted = 0
    let maximumTopLevel = 12

    static let options = WorkflowOptions(
        retry: RetryPolicy(initialIntervalSeconds: 1, maximumIntervalSeconds: 8, maximumAttempts: 6, jitter: 0.3),
        heartbeatIntervalSeconds: 2, heartbeatTimeoutSeconds: 10, scheduleToStartTimeoutSeconds: 30,
        startToCloseTimeoutSeconds: 300, executionTimeoutSeconds: 5_000, cancelGraceSeconds: 5)

    init(seed: UInt64, mode: Mode, replicas count: Int = 3) {
        self.seed = seed
        self.mode = mode
        self.random = SeededGenerator(seed: seed)
        self.clock = Locked(Date(timeIntervalSince1970: 1_800_000_000))
        broker.upSince = clock.current.addingTimeInterval(-3_600)
        let entropy = Locked(SeededGenerator(seed: seed ^ 0x5EED))
        for _ in 0..<count {
            var engine = WorkflowEngine(
                repository: repository,
                settings: WorkflowEngine.Settings(
                    commandQueue: "agents", defaults: Self.options, checkpointRetention: 3),
                relayWake: nil)
            let clock = clock
            engine.clock = { clock.current }
            engine.entropy = WorkflowEngine.Entropy(
                draw: { entropy.withLock { $0.unit() } },
                leaseToken: { entropy.withLock { String($0.next(), radix: 16) } })
            engine.maximumRetries = 4
            engine.retryBackoff = Backoff(initial: .zero, maximum: .zero)
            replicas.append(engine)
        }
    }

    var faulty: Bool { mode == .safety || step < faultPhase }
    var now: Date { clock.current }

    /// A random replica: every replica applies every kind of input.
    var anyReplica: WorkflowEngine { replicas[random.below(replicas.count)] }

    func violation(_ message: String) -> SimulationViolation {
        SimulationViolation(seed: seed, step: step, message: message)
    }

    func run(steps: Int) async throws {
        for _ in 0..<3 { try await submitTopLevel() }
        for _ in 0..<steps { try await stepOnce() }
        if mode == .liveness { try await settle() }
    }

    func stepOnce() async throws {
        step += 1
        repository.injectFaults(nil)
        if faulty && random.chance(0.05) {
            let fault: InMemoryWorkflowRepository.Fault = random.chance(0.5) ? .beforeCommit : .afterCommit
            let left = Locked(1 + random.below(2))
            repository.injectFaults { left.take() ? fault : nil }
        }
        do {
            switch random.below(100) {
            case 0..<28: try await deliverEvent()
            case 28..<40: relayOutbox()
            case 40..<52: deliverCommand()
            case 52..<72: try await workerTick()
            case 72..<86: try await advanceClock()
            case 86..<91: try await personAnswers()
            case 91..<93: if faulty { try await cancelSomething() }
            case 93..<95: try await submitTopLevel()
            case 95: if faulty { try await forgeEvent() }
            default: if faulty { broker.injectFault(&random, losing: mode == .safety) }
            }
        } catch let error as SimulationViolation {
            throw error
        } catch  where repository.isTransient(error) {
            // The input was not applied (or applied and its answer lost): as a client, try later.
        }
        repository.injectFaults(nil)
        try invariants.check(repository.snapshot, published: workers.published, step: step, seed: seed)
    }

    /// After the fault phase: time goes on, workers work and people answer until every
    /// workflow has ended.
    func settle() async throws {
        var rounds = 0
        while repository.snapshot.workflows.values.contains(where: { !$0.stored.machine.isTerminal }) {
            rounds += 1
            guard rounds < 30_000 else {
                let open = repository.snapshot.workflows.values.filter { !$0.stored.machine.isTerminal }
                    .map { "\($0.stored.id): \($0.stored.machine.state)" }.sorted()
                throw violation("not finished after settling: \(open)")
            }
            try await stepOnce()
        }
    }

    // MARK: The scheduler's edges

    func apply(_ events: [WorkerEvent]) async throws {
        guard !events.isEmpty else { return }
        do {
            _ = try await anyReplica.apply(events.map(WorkflowEngine.Input.worker))
            inputsApplied += events.count
        } catch is CheckpointRefused {
            // A checkpoint delta whose base was lost or overtaken: as the event consumer
            // does, one by one, and the refused one is dead-lettered.
            for event in events {
                do {
                    _ = try await anyReplica.apply([.worker(event)])
                    inputsApplied += 1
                } catch is CheckpointRefused {
                    refusedCheckpoints += 1
                }
            }
        }
    }

    func relayOutbox() {
        for message in repository.drainOutbox() {
            broker.publish(message)
            // Published, then the relay crashed before deleting the row: sent again.
            if faulty && random.chance(0.03) { broker.publish(message) }
        }
    }

    func advanceClock() async throws {
        let jump: Double =
            switch random.below(20) {
            case 0: Double(random.below(40))  // a long pause
            case 1 where faulty: -Double(random.below(5))  // the clock steps back (NTP)
            default: Double(random.below(3)) + random.unit()
            }
        clock.withLock { $0 = $0.addingTimeInterval(jump) }
        // Some timer passes are late; a held pass leaves silence timers (the gate was closed).
        guard !(faulty && random.chance(0.2)) else { return }
        let held: [WorkflowTimer] = faulty && random.chance(0.2) ? TimerService.silenceTimers : []
        inputsApplied += try await anyReplica.fireDueTimers(holding: held, limit: 1 + random.below(20))
    }

    func submitTopLevel() async throws {
        guard submitted < maximumTopLevel else { return }
        submitted += 1
        let request = SubmitWorkflowRequest(
            id: "wf\(submitted)", agent: "graph", input: ["children": .number(Double(random.below(3)))])
        _ = try await anyReplica.submit(request)
    }

    func personAnswers() async throws {
        let waiting = repository.snapshot.workflows.values.filter {
            if case .awaitingInput(let request) = $0.stored.machine.state {
                request.childWorkflowId == nil
            } else {
                false
            }
        }.map(\.stored.id).sorted()
        guard !waiting.isEmpty else { return }
        let id = waiting[random.below(waiting.count)]
        let answer: JSONValue = random.chance(0.9) ? ["choice": "approve"] : ["choice": "maybe"]  // maybe: not offered
        let (outcome, _) = try await anyReplica.command(.humanInput(answer), to: id)
        inputsApplied += 1
        if case .rejected(.answerDoesNotFit) = outcome, answer == ["choice": "approve"] {
            throw violation("an offered choice was refused for \(id)")
        }
        // A double click.
        if faulty && random.chance(0.2) { _ = try await anyReplica.command(.humanInput(answer), to: id) }
    }

    /// Someone who can publish events but never received the command speaks for the
    /// current attempt: nothing may change.
    func forgeEvent() async throws {
        let ids = repository.snapshot.workflows.keys.sorted()
        guard !ids.isEmpty else { return }
        let id = ids[random.below(ids.count)]
        guard let before = repository.snapshot.workflows[id]?.stored.machine, before.leaseToken != nil else { return }
        let kinds: [WorkerEvent.Kind] = [
            .completed(output: "forged"), .interrupted(SimulatedWorkers.question),
            .redelivered(connectionAgeSeconds: 3_600), .started,
            .failed(ActivityFailure(kind: "x", message: "forged", retryable: false)),
        ]
        let forged = WorkerEvent(
            eventId: nextEventId(), workflowId: id, attempt: before.attempt, workerId: "forger",
            leaseToken: "forged", kind: kinds[random.below(kinds.count)])
        try await apply([forged])
        if repository.snapshot.workflows[id]?.stored.machine != before {
            throw violation("a forged \(forged.type) changed workflow \(id)")
        }
    }

    func cancelSomething() async throws {
        let ids = repository.snapshot.workflows.keys.sorted()
        guard random.chance(0.3), !ids.isEmpty else { return }
        // An operator's command: cancel, pause, resume (most often, so that paused workflows end) or terminate.
        let commands: [WorkflowEvent] = [
            .cancelRequested(reason: "operator"), .pauseRequested, .resumeRequested, .resumeRequested,
            .terminateRequested(reason: "operator"),
        ]
        _ = try await anyReplica.command(commands[random.below(commands.count)], to: ids[random.below(ids.count)])
        inputsApplied += 1
    }
}

struct SimulationViolation: Error, CustomStringConvertible {
    var seed: UInt64
    var step: Int
    var message: String
    var description: String { "seed \(seed), step \(step): \(message) — replay with BATON_SIM_SEED=\(seed)" }
}
