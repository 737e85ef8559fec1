import BatonContracts
import BatonFuzzSupport
import BatonWorkflow
import Foundation

/// Reads the fuzzer's bytes as one workflow's life: options (unvalidated: a machine
/// must never trap whatever a stored value says), then events with their times, and
/// checks the state machine's invariants after every event (the same ones as the
/// simulation in Tests/BatonWorkflowTests/Simulation).
enum StateMachineRun {
    static let target = "state-machine"
    static let workers = ["w1", "w2", "w3"]

    static func check(_ data: Data) {
        let first = run(Array(data))
        // Same inputs, same machine: what lets any scheduler replica resume any workflow.
        let second = run(Array(data))
        FuzzViolation.check(first.hasSameProgress(as: second), target, "the same inputs gave a different machine")
        // The scheduler stores the machine as JSON; options from outside are validated
        // first, so only machines with valid options must survive the encoder.
        guard first.options.validationError() == nil else { return }
        do {
            let stored = try JSONEncoder().encode(first)
            let reloaded = try JSONDecoder().decode(WorkflowStateMachine.self, from: stored)
            FuzzViolation.check(
                reloaded == first, target, "the reloaded machine differs from the saved one: \(reloaded) vs \(first)")
        } catch {
            FuzzViolation.fail(target, "a machine with valid options does not survive JSON: \(error)")
        }
    }

    static func options(_ input: inout FuzzInput) -> WorkflowOptions {
        var options = WorkflowOptions(
            retry: RetryPolicy(initialIntervalSeconds: 1, maximumIntervalSeconds: 8, maximumAttempts: 4, jitter: 0.3),
            heartbeatIntervalSeconds: 2, heartbeatTimeoutSeconds: 10, scheduleToStartTimeoutSeconds: 30,
            startToCloseTimeoutSeconds: 120, executionTimeoutSeconds: 3_000, cancelGraceSeconds: 5)
        // Most runs keep sane options so that the events reach deep states; the rest
        // overwrite a few fields with anything.
        for _ in 0..<input.choose(4) {
            switch input.choose(12) {
            case 0: options.heartbeatIntervalSeconds = input.double()
            case 1: options.heartbeatTimeoutSeconds = input.double()
            case 2: options.scheduleToStartTimeoutSeconds = input.byte() < 64 ? nil : input.double()
            case 3: options.startToCloseTimeoutSeconds = input.byte() < 64 ? nil : input.double()
            case 4: options.executionTimeoutSeconds = input.byte() < 64 ? nil : input.double()
            case 5: options.cancelGraceSeconds = input.double()
            case 6: options.maximumWorkerCrashes = Int(input.int64())
            case 7: options.retry.maximumAttempts = Int(input.int64())
            case 8: options.retry.initialIntervalSeconds = input.double()
            case 9: options.retry.backoffCoefficient = input.double()
            case 10: options.retry.jitter = input.double()
            default: options.retry.nonRetryableErrorKinds = ["agent_error"]
            }
        }
        return options
    }

    static func run(_ bytes: [UInt8]) -> WorkflowStateMachine {
        var input = FuzzInput(bytes)
        var machine = WorkflowStateMachine(options: options(&input), agent: "fuzz")
        var invariants = Invariants()
        var now = Date(timeIntervalSince1970: 1_700_000_000)
        var leases = 0
        var events = 0
        while !input.isAtEnd, events < 512 {
            events += 1
            let event = nextEvent(&input, machine: machine)
            switch input.choose(16) {
            case 0: now = now.addingTimeInterval(-Double(input.byte()))  // the clock steps back
            case 1: now = now.addingTimeInterval(Double(input.uint32()))  // a long pause
            default: now = now.addingTimeInterval(Double(input.byte()) / 8)
            }
            let random = Double(input.byte()) / 256
            var token: String?
            if input.byte() >= 32 {
                leases += 1
                token = "lease-\(leases)"
            }
            let before = machine
            let actions = machine.handle(event, now: now, random: random, newLeaseToken: token)
            invariants.check(before: before, event: event, actions: actions, after: machine)
        }
        return machine
    }

    static func nextEvent(_ input: inout FuzzInput, machine: WorkflowStateMachine) -> WorkflowEvent {
        switch input.choose(8) {
        case 0: return .submitted
        // No JSON null answer: it does not survive a reload (a known finding, see
        // WorkflowStateMachineFuzzTests.aNullAnswerSurvivesAReload), and would stop every run.
        case 1: return .humanInput(input.element(of: ["approve", "", ["choice": "a"], 1e308] as [JSONValue]))
        case 2:
            let reason = input.element(of: ["operator", "", "\u{0}"])
            return input.element(of: [
                .cancelRequested(reason: reason), .pauseRequested, .resumeRequested,
                .terminateRequested(reason: reason),
            ])
        case 3:
            let timer = input.element(of: WorkflowTimer.allCases)
            return .timerFired(timer, attempt: attempt(&input, machine: machine))
        default:
            let workerId: String
            if case .running(_, let lease, _) = machine.state, input.byte() < 200 {
                workerId = lease
            } else {
                workerId = input.element(of: workers)
            }
            let token: String?
            switch input.choose(8) {
            case 0: token = nil
            case 1: token = "forged"
            default: token = machine.leaseToken
            }
            return .worker(
                kind(&input), attempt: attempt(&input, machine: machine), workerId: workerId, leaseToken: token)
        }
    }

    /// Mostly the current attempt (else every event is stale), sometimes a zombie's or a future one.
    static func attempt(_ input: inout FuzzInput, machine: WorkflowStateMachine) -> Int {
        switch input.choose(10) {
        case 0: return machine.attempt - 1
        case 1: return machine.attempt + 1
        case 2: return Int(input.int64())
        default: return machine.attempt
        }
    }

    static func kind(_ input: inout FuzzInput) -> WorkerEvent.Kind {
        let progress = ActivityProgress(
            node: input.element(of: [nil, "gather", "report"] as [String?]), step: Int(input.int64() % 1_000),
            percent: input.double())
        switch input.choose(10) {
        case 0: return .started
        case 1: return .heartbeat(input.byte() < 128 ? nil : progress, reconnected: input.byte() < 32)
        case 2:
            let step = input.byte() < 16 ? Int(input.int64()) : Int(input.byte())
            return .checkpointed(Checkpoint(step: step, nextNodes: ["next"], state: ["step": .number(Double(step))]))
        case 3: return .progress(progress)
        case 4: return .interrupted(InterruptRequest(title: "question", question: "continue?"))
        case 5: return .completed(output: ["done": true])
        case 6:
            let kind = input.element(of: ["agent_error", "tool_timeout", "unknown_agent", ""])
            return .failed(ActivityFailure(kind: kind, message: "fuzzed", retryable: input.byte() < 200))
        case 7: return .redelivered(connectionAgeSeconds: input.byte() < 64 ? nil : input.double())
        case 8: return .handedBack
        default: return .heartbeat(nil)
        }
    }
}
