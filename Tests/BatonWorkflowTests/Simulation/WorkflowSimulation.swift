import BatonContracts
import BatonWorkflow
import Foundation

/// A deterministic simulation of the scheduler, the broker and the workers around
/// `WorkflowStateMachine`. Time, message delivery, worker behaviour and faults all come
/// from one seeded generator: the same seed gives the same run, and a failing seed is
/// the whole bug report.
///
/// Faults: duplicated, reordered and (in safety mode) lost messages, workers that crash
/// (the broker then redelivers their command), zombie workers that keep reporting after
/// their attempt was replaced, duplicate commands reaching two workers, clock jumps in
/// both directions, timers firing late, and scheduler restarts that reload every
/// machine from its persisted form and check it against a replay of its inputs.
struct WorkflowSimulation {
    enum Mode {
        /// Faults everywhere, messages may be lost: only safety invariants are checked.
        case safety
        /// No message is lost and faults stop after the fault phase: every workflow must finish.
        case liveness
    }

    struct Violation: Error, CustomStringConvertible {
        var seed: UInt64
        var step: Int
        var workflow: String
        var message: String
        var description: String {
            "seed \(seed), step \(step), workflow \(workflow): \(message) — reproduce with BATON_SIM_SEED=\(seed)"
        }
    }

    /// What the scheduler's database holds for one workflow.
    struct Stored {
        var machine: WorkflowStateMachine
        var inputs: [(WorkflowEvent, Date, Double, String)] = []
        var maxCheckpointStep: Int?
        var terminalRecords = 0
        var results = 0
        var firstTerminal: WorkflowStatus?
        var timers: [WorkflowTimer: (at: Date, attempt: Int)] = [:]
        var highestAttempt = 0
    }

    struct Command {
        var workflow: String
        var attempt: Int
        var resumeFromStep: Int?
        var redelivered = false
        var leaseToken: String?
    }

    struct Event {
        var workflow: String
        var attempt: Int
        var worker: String
        var kind: WorkerEvent.Kind
        var leaseToken: String?
    }

    struct Activity {
        var workflow: String
        var attempt: Int
        var worker: String
        var leaseToken: String?
        var step: Int
        var steps: Int
        var crashed = false
        var interruptAt: Int?
    }

    let seed: UInt64
    let mode: Mode
    var random: SeededGenerator
    var now = Date(timeIntervalSince1970: 1_700_000_000)
    var store: [String: Stored] = [:]
    var commands: [Command] = []
    var events: [Event] = []
    var activities: [Activity] = []
    var workerCounter = 0
    var step = 0
    /// Events fed to state machines so far.
    var eventsApplied = 0
    /// A digest of everything that happened, to prove that a seed replays identically.
    var trace = Hasher.Digest()
    let options = WorkflowOptions(
        retry: RetryPolicy(initialIntervalSeconds: 1, maximumIntervalSeconds: 8, maximumAttempts: 6, jitter: 0.3),
        heartbeatIntervalSeconds: 2, heartbeatTimeoutSeconds: 10, scheduleToStartTimeoutSeconds: 30,
        startToCloseTimeoutSeconds: 120, executionTimeoutSeconds: 3_000, cancelGraceSeconds: 5)

    init(seed: UInt64, mode: Mode, workflows: Int = 4) {
        self.seed = seed
        self.mode = mode
        self.random = SeededGenerator(seed: seed)
        for index in 0..<workflows {
            store["wf\(index)"] = Stored(machine: WorkflowStateMachine(options: options))
        }
    }

    var faulty: Bool { mode == .safety || step < faultPhase }
    var faultPhase = 2_000
    var maximumWorkflows = 24

    // MARK: Running

    mutating func run(steps: Int) throws {
        for id in store.keys.sorted() { try apply(.submitted, to: id) }
        for _ in 0..<steps {
            step += 1
            try stepOnce()
        }
        if mode == .liveness { try finish() }
    }

    /// After the fault phase: let the system settle and demand that everything finished.
    mutating func finish() throws {
        var rounds = 0
        while store.values.contains(where: { !$0.machine.isTerminal }) {
            rounds += 1
            step += 1
            guard rounds < 20_000 else {
                let open = store.filter { !$0.value.machine.isTerminal }.map { "\($0.key): \($0.value.machine.state)" }
                throw Violation(
                    seed: seed, step: step, workflow: "*", message: "not finished after settling: \(open.sorted())")
            }
            try stepOnce()
        }
    }

    mutating func stepOnce() throws {
        switch random.next() % 100 {
        case 0..<30: try deliverEvent()
        case 30..<45: deliverCommand()
        case 45..<70: workerTick()
        case 70..<88: try advanceClock()
        case 88..<91: if faulty { try restartScheduler() }
        case 91..<94: try humanAnswers()
        case 94..<96: if faulty { try cancelSomething() }
        case 96: try submitAnother()
        case 97: if faulty { try forgeEvent() }
        default: if faulty { injectNetworkFault() }
        }
    }

    // MARK: The scheduler

    /// Feeds one event to a workflow exactly as the scheduler would, and checks every invariant.
    mutating func apply(_ event: WorkflowEvent, to id: String) throws {
        guard var stored = store[id] else { return }
        let wasTerminal = stored.machine.isTerminal
        let attemptBefore = stored.machine.attempt
        let draw = random.unit()
        let token = String(random.next(), radix: 16)
        if case .timerFired(let timer, _) = event { stored.timers[timer] = nil }
        let actions = stored.machine.handle(event, now: now, random: draw, newLeaseToken: token)
        eventsApplied += 1
        stored.inputs.append((event, now, draw, token))
        var hasher = Hasher()
        hasher.combine(trace.value)
        hasher.combine(id)
        hasher.combine(actions)
        trace = Hasher.Digest(value: hasher.finalize())

        func fail(_ message: String) -> Violation {
            Violation(seed: seed, step: step, workflow: id, message: "\(message); event \(event) → \(actions)")
        }
        if wasTerminal && !actions.isIgnoredAfterTheEnd { throw fail("a terminal workflow produced actions") }
        if stored.machine.attempt < attemptBefore { throw fail("the attempt went backwards") }
        for action in actions {
            switch action {
            case .dispatch(let attempt, let resumeFromStep, _, let leaseToken):
                if resumeFromStep != stored.maxCheckpointStep {
                    throw fail(
                        "dispatch resumes from \(String(describing: resumeFromStep)), latest checkpoint is \(String(describing: stored.maxCheckpointStep))"
                    )
                }
                if attempt <= stored.highestAttempt { throw fail("attempt \(attempt) dispatched twice") }
                stored.highestAttempt = attempt
                commands.append(
                    Command(workflow: id, attempt: attempt, resumeFromStep: resumeFromStep, leaseToken: leaseToken))
            case .storeCheckpoint(let checkpoint):
                if let latest = stored.maxCheckpointStep, checkpoint.step <= latest {
                    throw fail("checkpoint \(checkpoint.step) stored after \(latest)")
                }
                stored.maxCheckpointStep = checkpoint.step
            case .setTimer(let timer, let at, let attempt):
                stored.timers[timer] = (at, attempt)
            case .cancelTimer(let timer):
                if stored.timers.removeValue(forKey: timer) == nil {
                    throw fail("cancelled timer \(timer) that is not armed")
                }
            case .cancelActivity(let attempt, let lease):
                for index in activities.indices
                where activities[index].workflow == id && activities[index].attempt == attempt
                    && (lease == nil || activities[index].worker == lease)
                {
                    if random.chance(0.8) { activities[index].crashed = true }  // most workers obey
                }
            case .recordResult:
                stored.results += 1
                stored.terminalRecords += 1
            case .recordError:
                stored.terminalRecords += 1
            case .recordProgress, .recordInterrupt, .clearInterrupt, .notifyParent, .cancelChildren, .reject, .ignore:
                break
            }
        }
        if stored.terminalRecords > 1 { throw fail("more than one terminal outcome recorded") }
        if stored.results > 1 { throw fail("result recorded twice") }
        if stored.machine.isTerminal {
            if stored.terminalRecords == 0 {
                throw fail("reached \(stored.machine.status) without recording it")
            }
            if let first = stored.firstTerminal, first != stored.machine.status {
                throw fail("terminal state changed from \(first) to \(stored.machine.status)")
            }
            stored.firstTerminal = stored.machine.status
            if !stored.timers.isEmpty || !stored.machine.timers.isEmpty { throw fail("timers armed after the end") }
        }
        if Set(stored.timers.keys) != stored.machine.timers { throw fail("stored timers and the machine disagree") }
        store[id] = stored
    }

    /// A scheduler crash and restart: every machine is reloaded from its persisted
    /// form, which must equal a replay of its inputs from the start.
    mutating func restartScheduler() throws {
        for id in store.keys.sorted() {
            guard var stored = store[id] else { continue }
            let data = try JSONEncoder().encode(stored.machine)
            let reloaded = try JSONDecoder().decode(WorkflowStateMachine.self, from: data)
            var replayed = WorkflowStateMachine(options: options)
            for (event, time, draw, token) in stored.inputs {
                _ = replayed.handle(event, now: time, random: draw, newLeaseToken: token)
            }
            guard reloaded == stored.machine, replayed == stored.machine else {
                throw Violation(
                    seed: seed, step: step, workflow: id,
                    message: "reloaded or replayed state differs from the live one")
            }
            stored.machine = reloaded
            store[id] = stored
        }
    }

    mutating func advanceClock() throws {
        let jump: Double
        switch random.next() % 20 {
        case 0: jump = faulty ? -Double(random.next() % 5) : 1  // the clock steps back (NTP)
        case 1: jump = Double(random.next() % 60)  // a long pause
        default: jump = Double(random.next() % 3) + random.unit()
        }
        now = now.addingTimeInterval(jump)
        // Due timers fire, in random order, some late.
        var due: [(String, WorkflowTimer, Int)] = []
        for id in store.keys.sorted() {
            for (timer, entry) in store[id]!.timers.sorted(by: { $0.key.rawValue < $1.key.rawValue })
            where entry.at <= now {
                due.append((id, timer, entry.attempt))
            }
        }
        due.shuffle(using: &random)
        for (id, timer, attempt) in due where !(faulty && random.chance(0.2)) {
            try apply(.timerFired(timer, attempt: attempt), to: id)
        }
    }

    // MARK: The broker and the workers

    mutating func deliverCommand() {
        guard !commands.isEmpty else { return }
        let index = faulty ? Int(random.next() % UInt64(commands.count)) : 0
        let command = commands.remove(at: index)
        if faulty && random.chance(0.05) { commands.append(command) }  // outbox re-send after a crash
        workerCounter += 1
        let worker = "w\(workerCounter)"
        if command.redelivered {
            events.append(
                Event(
                    workflow: command.workflow, attempt: command.attempt, worker: worker, kind: .redelivered,
                    leaseToken: command.leaseToken))
            return
        }
        let steps = 3 + Int(random.next() % 3)
        let start = command.resumeFromStep ?? 0
        activities.append(
            Activity(
                workflow: command.workflow, attempt: command.attempt, worker: worker,
                leaseToken: command.leaseToken, step: start, steps: steps,
                interruptAt: random.chance(0.15) ? start + 1 : nil))
        events.append(
            Event(
                workflow: command.workflow, attempt: command.attempt, worker: worker, kind: .started,
                leaseToken: command.leaseToken))
    }

    mutating func workerTick() {
        guard !activities.isEmpty else { return }
        let index = Int(random.next() % UInt64(activities.count))
        var activity = activities[index]
        func emit(_ kind: WorkerEvent.Kind) {
            events.append(
                Event(
                    workflow: activity.workflow, attempt: activity.attempt, worker: activity.worker, kind: kind,
                    leaseToken: activity.leaseToken))
        }
        if activity.crashed {
            // A dead worker's connection closes: the broker redelivers its command.
            activities.remove(at: index)
            if !faulty || random.chance(0.7) {
                commands.append(
                    Command(
                        workflow: activity.workflow, attempt: activity.attempt, redelivered: true,
                        leaseToken: activity.leaseToken))
            }
            return
        }
        if faulty && random.chance(0.02) {
            // The broker cut a live worker's connection (a broker restart): its command is
            // redelivered to another worker while the activity goes on.
            commands.append(
                Command(
                    workflow: activity.workflow, attempt: activity.attempt, redelivered: true,
                    leaseToken: activity.leaseToken))
        }
        if faulty && random.chance(0.03) {
            activity.crashed = true
            activities[index] = activity
            return
        }
        if random.chance(0.01) {
            // The worker drains: it gives the attempt back after its last checkpoint.
            emit(.handedBack)
            activities.remove(at: index)
            return
        }
        switch random.next() % 10 {
        case 0:
            emit(.heartbeat(ActivityProgress(step: activity.step)))
        case 1 where faulty && random.chance(0.3):
            emit(.failed(ActivityFailure(kind: "agent_error", message: "flaky", retryable: random.chance(0.9))))
            activities.remove(at: index)
        default:
            if activity.interruptAt == activity.step {
                emit(.interrupted(InterruptRequest(title: "question", question: "continue?")))
                activities.remove(at: index)
                return
            }
            activity.step += 1
            emit(.checkpointed(Checkpoint(step: activity.step, nextNodes: [], state: .number(Double(activity.step)))))
            if activity.step >= activity.steps {
                emit(.completed(output: ["steps": .number(Double(activity.step))]))
                activities.remove(at: index)
            } else {
                activities[index] = activity
            }
        }
    }

    mutating func deliverEvent() throws {
        guard !events.isEmpty else { return }
        let index = faulty && random.chance(0.3) ? Int(random.next() % UInt64(events.count)) : 0
        let event = events[index]
        if !(faulty && random.chance(0.1)) { events.remove(at: index) }  // else: redelivered later
        try apply(
            .worker(event.kind, attempt: event.attempt, workerId: event.worker, leaseToken: event.leaseToken),
            to: event.workflow)
    }

    /// Someone who can publish on the broker but never received the command forges an
    /// event for the current attempt: it must change nothing.
    mutating func forgeEvent() throws {
        guard let id = store.keys.sorted().randomElement(using: &random), let stored = store[id] else { return }
        let before = stored.machine
        let kinds: [WorkerEvent.Kind] = [
            .completed(output: "forged"), .interrupted(.asking("forged")),
            .failed(ActivityFailure(kind: "x", message: "x", retryable: false)),
            .redelivered, .started,
        ]
        let kind = kinds[Int(random.next() % UInt64(kinds.count))]
        try apply(.worker(kind, attempt: before.attempt, workerId: "forger", leaseToken: "forged"), to: id)
        if before.leaseToken != nil, store[id]?.machine != before {
            throw Violation(seed: seed, step: step, workflow: id, message: "a forged \(kind) changed the workflow")
        }
    }

    mutating func injectNetworkFault() {
        guard mode == .safety else { return }
        if !events.isEmpty && random.chance(0.5) {
            events.remove(at: Int(random.next() % UInt64(events.count)))  // lost
        } else if !commands.isEmpty {
            commands.remove(at: Int(random.next() % UInt64(commands.count)))
        }
    }

    mutating func humanAnswers() throws {
        let waiting = store.keys.sorted().filter { store[$0]!.machine.status == .awaitingInput }
        guard let id = waiting.randomElement(using: &random) else { return }
        try apply(.humanInput(random.chance(0.5) ? "approve" : "edit"), to: id)
        if faulty && random.chance(0.2) { try apply(.humanInput("again"), to: id) }  // a double click
    }

    /// New work keeps arriving during the run, up to a cap.
    mutating func submitAnother() throws {
        guard store.count < maximumWorkflows else { return }
        let id = "wf\(store.count)"
        store[id] = Stored(machine: WorkflowStateMachine(options: options))
        try apply(.submitted, to: id)
    }

    mutating func cancelSomething() throws {
        guard random.chance(0.3), let id = store.keys.sorted().randomElement(using: &random) else { return }
        try apply(.cancelRequested(reason: "operator"), to: id)
    }
}

extension Hasher {
    struct Digest: Equatable {
        var value: Int = 0
    }
}
