import BatonContracts
import BatonFuzzMutations
import BatonWorkflow
import Foundation
import Testing

/// Seeded fuzzing of the state machine's event inputs (CI's share; `make fuzz` runs
/// libFuzzer on the same properties): events no honest worker sends, in orders no
/// broker delivers — wrong attempts and workers, forged or missing lease tokens,
/// checkpoints going backwards, timers that were never armed, a clock that jumps.
@Suite struct WorkflowStateMachineFuzzTests {
    static let seeds: [UInt64] = [1, 2, 3, 4, 5, 0xBA70, 20_261_201, 987_654_321]
    static let eventsPerSeed = 2_500
    static let workers = ["w1", "w2", "w3"]

    static func kind(_ random: inout SeededGenerator) -> WorkerEvent.Kind {
        let progress = ActivityProgress(
            node: (["gather", "report", nil] as [String?]).randomElement(using: &random)!,
            step: Int.random(in: -5...50, using: &random),
            percent: ([50, .nan, .infinity, -1e308] as [Double]).randomElement(using: &random)!)
        switch random.next() % 10 {
        case 0: return .started
        case 1: return .heartbeat(random.chance(0.5) ? nil : progress, reconnected: random.chance(0.1))
        case 2:
            let step =
                random.chance(0.1) ? [Int.min, Int.max, -1].randomElement(using: &random)! : Int(random.next() % 40)
            return .checkpointed(Checkpoint(step: step, nextNodes: ["next"], state: ["step": .number(Double(step))]))
        case 3: return .progress(progress)
        case 4: return .interrupted(InterruptRequest(title: "question", question: "continue?"))
        case 5: return .completed(output: ["done": true])
        case 6:
            let kind = ["agent_error", "tool_timeout", "unknown_agent"].randomElement(using: &random)!
            return .failed(ActivityFailure(kind: kind, message: "fuzzed", retryable: random.chance(0.8)))
        case 7:
            let ages: [Double?] = [nil, 0, 1, 5, 10, 3600, .nan, .infinity, -1]
            return .redelivered(connectionAgeSeconds: ages.randomElement(using: &random)!)
        case 8: return .handedBack
        default: return .heartbeat(nil)
        }
    }

    /// Any event, aimed mostly at the current attempt and its lease holder so that deep states are reached.
    /// `nullAnswers`: a JSON null answer does not survive the machine's reload (see
    /// `aNullAnswerSurvivesAReload`), so tests that reload leave it out.
    static func event(
        _ random: inout SeededGenerator, for machine: WorkflowStateMachine, nullAnswers: Bool = false
    ) -> WorkflowEvent {
        let attempt: Int
        switch random.next() % 10 {
        case 0: attempt = machine.attempt - 1
        case 1: attempt = machine.attempt + 1
        case 2: attempt = [0, -1, Int.max, Int.min].randomElement(using: &random)!
        default: attempt = machine.attempt
        }
        switch random.next() % 8 {
        case 0: return .submitted
        case 1:
            let answers: [JSONValue] = ["approve", ["choice": "a"], ""] + (nullAnswers ? [.null] : [])
            return .humanInput(answers.randomElement(using: &random)!)
        case 2:
            let reason = ["operator", "", "\u{0}"].randomElement(using: &random)!
            return [
                .cancelRequested(reason: reason), .pauseRequested, .resumeRequested, .pauseRequested,
                .resumeRequested, .terminateRequested(reason: reason),
            ].randomElement(using: &random)!
        case 3: return .timerFired(WorkflowTimer.allCases.randomElement(using: &random)!, attempt: attempt)
        default:
            var worker = workers.randomElement(using: &random)!
            if case .running(_, let lease, _) = machine.state, random.chance(0.8) { worker = lease }
            let token =
                random.chance(0.8) ? machine.leaseToken : (["forged", nil] as [String?]).randomElement(using: &random)!
            return .worker(kind(&random), attempt: attempt, workerId: worker, leaseToken: token)
        }
    }

    static func advance(_ now: Date, _ random: inout SeededGenerator) -> Date {
        switch random.next() % 16 {
        case 0: now.addingTimeInterval(-Double(random.next() % 30))  // the clock steps back
        case 1: now.addingTimeInterval(Double(random.next() % 100_000))  // a long pause
        default: now.addingTimeInterval(random.unit() * 3)
        }
    }

    /// Arbitrary events, in any order at any time: a workflow that ended stays as it
    /// ended, the attempt never goes back, and the machine reloads from its saved form
    /// as it was (the engine simulation checks the rest, with the engine around it).
    @Test(arguments: seeds) func arbitraryEventsKeepTheMachinesInvariants(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        var machine = WorkflowStateMachine(options: WorkflowOptions(), agent: "chain", parentId: "p")
        var now = Date(timeIntervalSince1970: 1_800_000_000)
        _ = machine.handle(.submitted, now: now, random: 0.5)
        for _ in 0..<Self.eventsPerSeed {
            now = Self.advance(now, &random)
            let before = machine
            let actions = machine.handle(
                Self.event(&random, for: machine), now: now, random: random.unit(),
                newLeaseToken: String(random.next(), radix: 16))
            if before.isTerminal {
                #expect(actions.isIgnoredAfterTheEnd, "an ended workflow produced \(actions)")
                #expect(machine.status == before.status)
            }
            #expect(machine.attempt >= before.attempt)
        }
        #expect(try JSONValueCoding.decode(WorkflowStateMachine.self, from: JSONValueCoding.encode(machine)) == machine)
    }

    static func hostileOptions(_ random: inout SeededGenerator) -> WorkflowOptions {
        let odd: [Double] = [.nan, .infinity, -.infinity, 1e308, -1e308, 0, -1, 1e-300, 5]
        func pick() -> Double { odd.randomElement(using: &random)! }
        var options = WorkflowOptions(scheduleToStartTimeoutSeconds: 30, executionTimeoutSeconds: 3_000)
        for _ in 0..<Int(random.next() % 4) {
            switch random.next() % 10 {
            case 0: options.heartbeatIntervalSeconds = pick()
            case 1: options.heartbeatTimeoutSeconds = pick()
            case 2: options.scheduleToStartTimeoutSeconds = pick()
            case 3: options.startToCloseTimeoutSeconds = pick()
            case 4: options.executionTimeoutSeconds = pick()
            case 5: options.cancelGraceSeconds = pick()
            case 6: options.maximumWorkerCrashes = ([0, -1, .max, .min] as [Int]).randomElement(using: &random)!
            case 7: options.retry.maximumAttempts = ([0, -1, .max, .min] as [Int]).randomElement(using: &random)!
            case 8: options.retry.backoffCoefficient = pick()
            default: options.retry.initialIntervalSeconds = pick()
            }
        }
        return options
    }

    /// Options no submit can set (a damaged row, an old version): the machine must not
    /// trap, its attempt never decreases, and a terminal state never changes.
    @Test(arguments: seeds) func unvalidatedOptionsAndLeaseTokensNeverTrap(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        for _ in 0..<50 {
            var machine = WorkflowStateMachine(options: Self.hostileOptions(&random), agent: "fuzz")
            var now = Date(timeIntervalSince1970: 1_700_000_000)
            var terminal: WorkflowStatus?
            var leases = 0
            for _ in 0..<60 {
                let before = machine.attempt
                now = Self.advance(now, &random)
                leases += 1
                let actions = machine.handle(
                    Self.event(&random, for: machine, nullAnswers: true), now: now, random: random.unit(),
                    newLeaseToken: random.chance(0.9) ? "lease-\(leases)" : nil)
                #expect(machine.attempt >= before, "seed \(seed): the attempt went backwards")
                if let terminal {
                    #expect(machine.status == terminal, "seed \(seed): terminal state changed")
                    #expect(actions.isIgnoredAfterTheEnd, "seed \(seed): a terminal workflow acted")
                } else if machine.isTerminal {
                    terminal = machine.status
                }
                for case .setTimer(_, let at, _) in actions {
                    #expect(!at.timeIntervalSinceReferenceDate.isNaN, "seed \(seed): a timer at NaN")
                }
            }
        }
    }

    /// Finding of the fuzz tests: an answer of JSON `null` (the API takes one when the
    /// pending question is not an `InterruptRequest` it can check) is kept as
    /// `.some(.null)`, and the stored machine used to read it back as nil.
    @Test func aNullAnswerSurvivesAReload() throws {
        var machine = WorkflowStateMachine(options: WorkflowOptions())
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        _ = machine.handle(.submitted, now: now, random: 0)
        _ = machine.handle(.worker(.started, attempt: 1, workerId: "w1"), now: now, random: 0)
        _ = machine.handle(
            .worker(.interrupted(InterruptRequest(title: "question", question: "go on?")), attempt: 1, workerId: "w1"),
            now: now, random: 0)
        _ = machine.handle(.humanInput(.null), now: now, random: 0)
        let reloaded = try JSONValueCoding.decode(WorkflowStateMachine.self, from: JSONValueCoding.encode(machine))
        #expect(reloaded == machine)
    }
}
