import BatonContracts
import Foundation

/// What one chaos workflow is for, and so which terminal states are legitimate for it.
enum ChaosWorkflowKind: String, CaseIterable, Sendable {
    /// A chain that should complete.
    case plain
    /// A chain whose step asks a question; the driver answers it after a while.
    case answered
    /// A chain with an out-of-range input: fails at once with `invalid_input`, never retried.
    case failing
    /// A chain with tight heartbeats and few attempts: worker kills and outages retry it.
    case retried
    /// A long chain (some waiting for an answer that never comes) that the driver cancels.
    case cancelled
    /// A parent chain with two children submitted under it (`parentId`); half the
    /// parents are cancelled, which must cancel their unfinished children.
    case family
}

/// One workflow of the run: what to submit, when, and what the driver does to it.
struct ChaosWorkflowPlan: Sendable {
    var id: String
    var kind: ChaosWorkflowKind
    /// Seconds after the run's start.
    var submitAt: Double
    var steps: Int
    var sleepMilliseconds: Int
    var askAt: Int?
    /// After the question shows up, how long until the driver answers (nil: never).
    var answerDelay: Double?
    /// After submission, how long until the driver cancels (nil: never).
    var cancelDelay: Double?
    var options: WorkflowOptions
    /// Children of a family parent (chains of their own), submitted just after it.
    var childSteps: [Int] = []
    /// An input the scheduler accepts (it fits the chain's schema) and the agent refuses
    /// (an execution log that is no plain file name): the workflow fails on its worker
    /// with `invalid_input`.
    var refusedByTheAgent = false

    /// The chain's input; `exec_log` names the workers' execution log.
    func input(executionLog: String) -> JSONValue {
        var input: [String: JSONValue] = [
            "steps": .number(Double(steps)), "sleep_ms": .number(Double(sleepMilliseconds)),
            "exec_log": .string(refusedByTheAgent ? "not/a/plain/name" : executionLog),
        ]
        if let askAt { input["ask_at"] = .number(Double(askAt)) }
        return .object(input)
    }
}

/// The faults the driver injects.
enum ChaosFaultKind: String, CaseIterable, Sendable {
    /// SIGKILL one worker; a replacement starts a moment later.
    case workerKill = "worker_kill"
    /// SIGKILL one scheduler replica; it restarts a few seconds later.
    case schedulerKill = "scheduler_kill"
    /// SIGKILL every scheduler replica for longer than the heartbeat timeout.
    case schedulerOutage = "scheduler_outage"
    /// RabbitMQ's application stopped and started (every connection closed, unacked requeued).
    case rabbitmqRestart = "rabbitmq_restart"
    /// PostgreSQL stopped (fast shutdown) and started again.
    case postgresRestart = "postgres_restart"
}

struct ChaosFaultPlan: Sendable {
    var kind: ChaosFaultKind
    /// Seconds after the run's start (the fault waits for the previous one to end).
    var at: Double
    /// How long the faulty part stays down, in seconds.
    var downFor: Double
}

/// The whole run, drawn from one seed before anything starts.
struct ChaosPlan: Sendable {
    /// The heartbeat timeout of plain workflows; a scheduler outage lasts longer than this.
    static let heartbeatTimeout = 6.0

    var seed: UInt64
    var workflows: [ChaosWorkflowPlan]
    var faults: [ChaosFaultPlan]
    /// Submissions happen in [0, submitWindow]; faults in [faultWindow].
    var submitWindow: Double
    var faultWindow: ClosedRange<Double>

    static func make(seed: UInt64, workflowCount: Int, duration: Double, faultCount: Int) -> ChaosPlan {
        var random = ChaosRandom(seed: seed)
        let submitWindow = duration * 0.6
        let workflows = (0..<workflowCount).map { index in
            workflow(index: index, seed: seed, submitAt: random.seconds(0...submitWindow), random: &random)
        }.sorted { $0.submitAt < $1.submitAt }
        let faultWindow = (duration * 0.05)...(duration * 0.8)
        // Every kind at least once when there is room, the rest weighted towards the
        // frequent real-world one (a worker dying).
        var kinds = Array(ChaosFaultKind.allCases.prefix(faultCount))
        let weighted: [ChaosFaultKind] = [
            .workerKill, .workerKill, .workerKill, .schedulerKill, .schedulerKill, .schedulerOutage, .rabbitmqRestart,
            .postgresRestart,
        ]
        while kinds.count < faultCount { kinds.append(weighted.randomElement(using: &random)!) }
        kinds.shuffle(using: &random)
        let times = kinds.map { _ in random.seconds(faultWindow) }.sorted()
        let faults = zip(kinds, times).map { kind, at in
            ChaosFaultPlan(kind: kind, at: at, downFor: downtime(kind, random: &random))
        }
        return ChaosPlan(
            seed: seed, workflows: workflows, faults: faults, submitWindow: submitWindow, faultWindow: faultWindow)
    }

    private static func downtime(_ kind: ChaosFaultKind, random: inout ChaosRandom) -> Double {
        switch kind {
        case .workerKill: random.seconds(0.5...3)
        case .schedulerKill: random.seconds(0.5...4)
        case .schedulerOutage: heartbeatTimeout + random.seconds(2...6)
        case .rabbitmqRestart: random.seconds(1...6)
        case .postgresRestart: random.seconds(1...6)
        }
    }

    private static func workflow(
        index: Int, seed: UInt64, submitAt: Double, random: inout ChaosRandom
    ) -> ChaosWorkflowPlan {
        let weighted: [ChaosWorkflowKind] = [
            .plain, .plain, .plain, .answered, .answered, .failing, .retried, .retried, .cancelled, .cancelled,
            .family,
        ]
        let kind = weighted.randomElement(using: &random)!
        let steady = WorkflowOptions(
            retry: RetryPolicy(initialIntervalSeconds: 0.5, maximumIntervalSeconds: 5, maximumAttempts: 10),
            heartbeatIntervalSeconds: 1, heartbeatTimeoutSeconds: heartbeatTimeout, cancelGraceSeconds: 10)
        var plan = ChaosWorkflowPlan(
            id: "chaos-\(seed)-\(index)-\(kind.rawValue)", kind: kind, submitAt: submitAt,
            steps: Int.random(in: 3...6, using: &random), sleepMilliseconds: Int.random(in: 150...400, using: &random),
            options: steady)
        switch kind {
        case .plain:
            break
        case .answered:
            plan.askAt = Int.random(in: 0..<plan.steps, using: &random)
            plan.answerDelay = random.seconds(0.2...5)
        case .failing:
            plan.refusedByTheAgent = true
        case .retried:
            plan.options = WorkflowOptions(
                retry: RetryPolicy(initialIntervalSeconds: 0.2, maximumIntervalSeconds: 1, maximumAttempts: 3),
                heartbeatIntervalSeconds: 0.5, heartbeatTimeoutSeconds: 2.5, cancelGraceSeconds: 10,
                maximumWorkerCrashes: 3)
        case .cancelled:
            plan.steps = 10
            plan.sleepMilliseconds = 500
            if random.chance(0.3) { plan.askAt = Int.random(in: 0..<3, using: &random) }
            plan.cancelDelay = random.seconds(0.3...5)
        case .family:
            plan.steps = 8
            plan.sleepMilliseconds = 400
            plan.childSteps = [Int.random(in: 3...8, using: &random), Int.random(in: 3...8, using: &random)]
            if random.chance(0.5) { plan.cancelDelay = random.seconds(0.5...4) }
        }
        return plan
    }
}
