import BatonContracts
import BatonFuzzMutations
import BatonPostgres
import BatonWorkflow
import Foundation
import Testing

@testable import BatonScheduler

/// What the engine relies on from a repository, checked on PostgreSQL and on the
/// in-memory stand-in the simulation uses: if both pass, the simulation's engine runs
/// on the semantics production has.
@Suite struct WorkflowRepositoryContractTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case postgres, memory
        var testDescription: String { rawValue }

        func make() async throws -> any WorkflowRepository {
            switch self {
            case .postgres: PostgresWorkflowRepository(pool: try await TestDatabase.fresh())
            case .memory: InMemoryWorkflowRepository()
            }
        }
    }

    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func newWorkflow(_ id: String, parent: String? = nil, key: String? = nil) -> NewWorkflow {
        NewWorkflow(
            id: id, agent: "chain", input: ["steps": 2], fingerprint: "f-\(id)", caller: "alice", parentId: parent,
            childKey: key, machine: WorkflowStateMachine(options: WorkflowOptions(), agent: "chain", parentId: parent),
            now: now)
    }

    /// A batch of submissions inserts its workflows at once: the ids taken already are
    /// left out of the answer, and each inserted one is as an insert alone leaves it.
    @Test(arguments: Kind.allCases) func workflowsInsertedTogetherAreEachAsAlone(_ kind: Kind) async throws {
        let repository = try await kind.make()
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            #expect(try tx.insertWorkflow(Self.newWorkflow("taken")))
        }
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            let inserted = try tx.insertWorkflows(["a", "taken", "b"].map { Self.newWorkflow($0) })
            #expect(inserted == ["a", "b"])
            #expect(try tx.insertWorkflows([]) == [])
            #expect(try tx.lockWorkflow("a")?.caller == "alice")
            #expect(try tx.fingerprint(of: "b") == "f-b")
        }
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            let view = try #require(try tx.view(of: "a"))
            #expect(view.agent == "chain" && view.input == ["steps": 2] && view.caller == "alice")
            #expect(view.status == .pending && view.attempt == 0)
            #expect(try tx.fingerprint(of: "taken") == "f-taken")
        }
    }

    @Test(arguments: Kind.allCases) func idsAndChildKeysAreUnique(_ kind: Kind) async throws {
        let repository = try await kind.make()
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            #expect(try tx.insertWorkflow(Self.newWorkflow("p")))
            #expect(try !tx.insertWorkflow(Self.newWorkflow("p")))
            #expect(try tx.insertWorkflow(Self.newWorkflow("p.c-1", parent: "p", key: "c")))
            #expect(try !tx.insertWorkflow(Self.newWorkflow("p.c-2", parent: "p", key: "c")))
            #expect(try tx.child(of: "p", key: "c")?.id == "p.c-1")
            #expect(try tx.fingerprint(of: "p.c-1") == "f-p.c-1")
            #expect(try tx.fingerprint(of: "nobody") == nil)
            #expect(try tx.lockWorkflow("p")?.caller == "alice")
            #expect(try tx.lockWorkflow("nobody") == nil)
        }
    }

    @Test(arguments: Kind.allCases) func aFailedTransactionLeavesNothing(_ kind: Kind) async throws {
        let repository = try await kind.make()
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await repository.transaction { (tx: any WorkflowTransaction) throws in
                _ = try tx.insertWorkflow(Self.newWorkflow("gone"))
                throw Abort()
            }
        }
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            #expect(try tx.lockWorkflow("gone") == nil)
        }
    }

    @Test(arguments: Kind.allCases) func savingKeepsErrorsAndTogglesTheInterrupt(_ kind: Kind) async throws {
        let repository = try await kind.make()
        let question = InterruptRequest(title: "t", question: "q?")
        let failure = ActivityFailure(kind: "agent_error", message: "boom", retryable: false)
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            _ = try tx.insertWorkflow(Self.newWorkflow("w"))
            var machine = try #require(try tx.lockWorkflow("w")).machine
            _ = machine.handle(.submitted, now: Self.now, random: 0)
            try tx.saveWorkflow(
                WorkflowUpdate(id: "w", machine: machine, now: Self.now, error: nil, interrupt: .set(question)))
            #expect(try tx.view(of: "w")?.interrupt?["question"] == "q?")
            #expect(try tx.view(of: "w")?.status == .dispatched)
            try tx.saveWorkflow(
                WorkflowUpdate(id: "w", machine: machine, now: Self.now, error: failure, interrupt: .cleared))
            try tx.saveWorkflow(
                WorkflowUpdate(id: "w", machine: machine, now: Self.now, error: nil, interrupt: .unchanged))
            let view = try #require(try tx.view(of: "w"))
            #expect(view.interrupt == nil)
            #expect(view.error == failure)  // a save without an error keeps the one recorded
            #expect(try tx.outcome(of: "w") == nil)  // not ended
        }
    }

    @Test(arguments: Kind.allCases) func anEndedChildHasAnOutcomeAndLeavesTheUnfinished(_ kind: Kind) async throws {
        let repository = try await kind.make()
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            _ = try tx.insertWorkflow(Self.newWorkflow("p"))
            for key in ["b", "a"] { _ = try tx.insertWorkflow(Self.newWorkflow("p.\(key)-1", parent: "p", key: key)) }
            #expect(try tx.unfinishedChildren(of: "p") == ["p.a-1", "p.b-1"])
            var machine = try #require(try tx.lockWorkflow("p.a-1")).machine
            _ = machine.handle(.cancelRequested(reason: "stop"), now: Self.now, random: 0)
            try tx.saveWorkflow(
                WorkflowUpdate(
                    id: "p.a-1", machine: machine, now: Self.now,
                    error: ActivityFailure(kind: "cancelled", message: "stop", retryable: false), interrupt: .unchanged)
            )
            #expect(try tx.unfinishedChildren(of: "p") == ["p.b-1"])
            let outcome = try #require(try tx.outcome(of: "p.a-1"))
            #expect(outcome.status == .cancelled)
            #expect(outcome.error?.kind == "cancelled")
        }
    }

    @Test(arguments: Kind.allCases) func anEventIdIsRecordedOnce(_ kind: Kind) async throws {
        let repository = try await kind.make()
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            _ = try tx.insertWorkflow(Self.newWorkflow("w"))
            let id = UUID()
            let entry = HistoryRecord(
                workflowId: "w", eventId: id, attempt: 1, type: "started", outcome: "applied", payload: nil)
            #expect(try tx.appendHistory(entry))
            #expect(try !tx.appendHistory(entry))
            var own = entry
            own.eventId = nil
            #expect(try tx.appendHistory(own))
            #expect(try tx.appendHistory(own))  // the scheduler's own entries have no id
        }
    }

    @Test(arguments: Kind.allCases) func checkpointsAreKeptOncePerStepAndRetained(_ kind: Kind) async throws {
        let repository = try await kind.make()
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            _ = try tx.insertWorkflow(Self.newWorkflow("w"))
            for step in 1...5 {
                try tx.storeCheckpoint(
                    Checkpoint(step: step, nextNodes: ["n\(step)"], state: ["step": .number(Double(step))]), of: "w",
                    attempt: 1, retention: 2)
            }
            try tx.storeCheckpoint(
                Checkpoint(step: 5, nextNodes: ["other"], state: [:]), of: "w", attempt: 2, retention: 2)
            #expect(try tx.loadCheckpoint(of: "w", step: 3) == nil)
            #expect(try tx.loadCheckpoint(of: "w", step: 4)?.nextNodes == ["n4"])
            #expect(try tx.loadCheckpoint(of: "w", step: 5)?.nextNodes == ["n5"])  // the first one stays
            #expect(try tx.loadCheckpoint(of: "w", step: 5)?.state == ["step": 5])
        }
    }

    /// The states of a run, each step's from the previous one's: fields appended to,
    /// set, removed, shrunk, re-added, the state replaced by a non-object and back.
    static func states(_ count: Int, seed: UInt64 = 12) -> [JSONValue] {
        var random = SeededGenerator(seed: seed)
        var state: JSONValue = ["steps": [], "n": 0, "draft": "a"]
        var states: [JSONValue] = [state]
        for step in 1..<count {
            if step == 21 {
                state = .array([.number(Double(step))])
                states.append(state)
                continue
            }
            guard case .object(var fields) = state else {
                state = ["steps": [.number(Double(step))]]
                states.append(state)
                continue
            }
            switch random.below(10) {
            case 0: fields.removeValue(forKey: "draft")
            case 1: fields["draft"] = .string("d\(step)")
            case 2: fields["steps"] = .array((fields["steps"]?.arrayValue ?? []).dropLast())
            case 3: fields["n"] = .number(Double(step))
            case 4 where fields["extra"] == nil: fields["extra"] = ["k": .number(Double(step))]
            case 4: fields.removeValue(forKey: "extra")
            default: break  // 5: an intra-step checkpoint, if nothing below changes either
            }
            let record: JSONValue = [
                "node": .string("step_\(step)"), "payload": .string(String(repeating: "p", count: 40)),
            ]
            fields["steps"] = .array((fields["steps"]?.arrayValue ?? []) + (random.chance(0.8) ? [record] : []))
            state = .object(fields)
            states.append(state)
        }
        return states
    }

    /// Checkpoint `step` as a worker sends it: a delta on the one before it, whole when
    /// there is none or the delta is larger.
    static func sent(_ states: [JSONValue], step: Int) -> Checkpoint {
        let whole = Checkpoint(
            step: step, nextNodes: ["n\(step)"], state: states[step], journal: ["t": ["k": .number(Double(step))]])
        return step == 0 ? whole : whole.sendingChanges(since: step - 1, state: states[step - 1])
    }

    @Test(arguments: Kind.allCases) func deltasRoundTripThroughStoreAndLoad(_ kind: Kind) async throws {
        let repository = try await kind.make()
        let states = Self.states(60)
        #expect(states.indices.dropFirst().contains { Self.sent(states, step: $0).isDelta })
        #expect(states.indices.dropFirst().contains { !Self.sent(states, step: $0).isDelta })
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            _ = try tx.insertWorkflow(Self.newWorkflow("w"))
        }
        for step in states.indices {
            // Each in its own transaction, as events are applied; every step reloaded.
            try await repository.transaction { (tx: any WorkflowTransaction) throws in
                try tx.storeCheckpoint(Self.sent(states, step: step), of: "w", attempt: 1, retention: 100)
                let loaded = try #require(try tx.loadCheckpoint(of: "w", step: step))
                #expect(loaded.state == states[step], "step \(step)")
                #expect(!loaded.isDelta && loaded.baseStep == nil)
                #expect(loaded.nextNodes == ["n\(step)"] && loaded.journal?["t"]?["k"] == .number(Double(step)))
            }
        }
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            for step in states.indices {
                #expect(try tx.loadCheckpoint(of: "w", step: step)?.state == states[step], "step \(step)")
            }
            #expect(try tx.loadCheckpoint(of: "w", step: states.count) == nil)
        }
    }

    @Test(arguments: Kind.allCases) func retentionKeepsTheRetainedCheckpointsRebuildable(_ kind: Kind) async throws {
        let repository = try await kind.make()
        let states = Self.states(80, seed: 99)
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            _ = try tx.insertWorkflow(Self.newWorkflow("w"))
            for step in states.indices {
                try tx.storeCheckpoint(Self.sent(states, step: step), of: "w", attempt: 1, retention: 3)
                for earlier in 0...step {
                    let loaded = try tx.loadCheckpoint(of: "w", step: earlier)
                    if earlier > step - 3 || step <= 3 {  // (nothing is deleted before step 4)
                        #expect(loaded?.state == states[earlier], "step \(earlier) after \(step)")
                    } else {
                        #expect(loaded == nil, "step \(earlier) after \(step)")
                    }
                }
            }
        }
    }

    /// A batch of events stores many workflows' checkpoints at once (PostgreSQL: one
    /// statement per table, retention and compaction for all of them after). Workflow
    /// "c" ends on a whole checkpoint, so its older ones are never written; "b" ends on a
    /// delta, so its state is rebuilt first.
    @Test(arguments: Kind.allCases) func aBatchStoresSeveralWorkflowsCheckpointsAtOnce(_ kind: Kind) async throws {
        let repository = try await kind.make()
        let states = Self.states(12, seed: 17)
        let ids = ["a", "b", "c"]
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            for id in ids { _ = try tx.insertWorkflow(Self.newWorkflow(id)) }
        }
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            for step in 0..<11 {
                for id in ids {
                    try tx.storeCheckpoint(Self.sent(states, step: step), of: id, attempt: 1, retention: 3)
                }
            }
            let lastOfB = Self.sent(states, step: 11)
            #expect(lastOfB.isDelta)
            try tx.storeCheckpoint(lastOfB, of: "b", attempt: 1, retention: 3)
            try tx.storeCheckpoint(
                Checkpoint(step: 11, nextNodes: [], state: states[11]), of: "c", attempt: 1, retention: 3)
            try tx.compactCheckpoints(of: "b")
            try tx.compactCheckpoints(of: "c")
        }
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            for step in 0..<11 {
                let kept = try tx.loadCheckpoint(of: "a", step: step)?.state
                #expect(kept == (step >= 8 ? states[step] : JSONValue?.none), "a, step \(step)")
                #expect(try tx.loadCheckpoint(of: "b", step: step) == nil, "b, step \(step)")
                #expect(try tx.loadCheckpoint(of: "c", step: step) == nil, "c, step \(step)")
            }
            #expect(try tx.loadCheckpoint(of: "b", step: 11)?.state == states[11])
            #expect(try tx.loadCheckpoint(of: "c", step: 11)?.state == states[11])
            // A delta on a's newest still lands after all that.
            try tx.storeCheckpoint(
                Self.sent(states, step: 11).sendingChanges(since: 10, state: states[10]), of: "a", attempt: 1,
                retention: 3)
            #expect(try tx.loadCheckpoint(of: "a", step: 11)?.state == states[11])
        }
    }

    @Test(arguments: Kind.allCases) func anEndedWorkflowKeepsItsNewestCheckpointWhole(_ kind: Kind) async throws {
        let repository = try await kind.make()
        let states = Self.states(30, seed: 5)
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            _ = try tx.insertWorkflow(Self.newWorkflow("w"))
            _ = try tx.insertWorkflow(Self.newWorkflow("none"))
            for step in states.indices {
                try tx.storeCheckpoint(Self.sent(states, step: step), of: "w", attempt: 1, retention: 10)
            }
            try tx.compactCheckpoints(of: "w")
            try tx.compactCheckpoints(of: "w")  // twice changes nothing
            try tx.compactCheckpoints(of: "none")  // no checkpoints: nothing to do
            #expect(try tx.loadCheckpoint(of: "w", step: 29)?.state == states[29])
            #expect(try tx.loadCheckpoint(of: "w", step: 28) == nil)
        }
    }

    /// A delta on anything but the newest stored checkpoint could not be rebuilt: it is
    /// refused with the reason, and the transaction keeps nothing.
    @Test(arguments: Kind.allCases) func aDeltaOnAMissingBaseIsRefused(_ kind: Kind) async throws {
        let repository = try await kind.make()
        let states = Self.states(11)
        @Sendable func delta(_ step: Int, on base: Int) -> Checkpoint {
            Checkpoint(
                step: step, nextNodes: [], state: nil, stateDelta: StateDelta.between(states[base], states[step]),
                baseStep: base)
        }
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            _ = try tx.insertWorkflow(Self.newWorkflow("w"))
            _ = try tx.insertWorkflow(Self.newWorkflow("fresh"))
            _ = try tx.insertWorkflow(Self.newWorkflow("empty"))
            try tx.storeCheckpoint(
                Self.sent(states, step: 1).applyingDelta(to: states[0]), of: "w", attempt: 1, retention: 10)
            try tx.storeCheckpoint(delta(2, on: 1), of: "w", attempt: 1, retention: 10)
        }
        for (workflow, refused) in [
            ("w", delta(4, on: 3)), ("w", delta(3, on: 1)), ("fresh", delta(10, on: 0)), ("empty", delta(1, on: 0)),
        ] {
            do {
                try await repository.transaction { (tx: any WorkflowTransaction) throws in
                    try tx.storeCheckpoint(
                        Checkpoint(step: 9, nextNodes: [], state: nil), of: "fresh", attempt: 1, retention: 10)
                    try tx.storeCheckpoint(refused, of: workflow, attempt: 1, retention: 10)
                }
                Issue.record("stored \(refused.step) on \(refused.baseStep ?? -1)")
            } catch {
                #expect("\(error)".contains("is refused"), "\(error)")
                #expect("\(error)".contains("checkpoint \(refused.baseStep ?? -1)"), "\(error)")
            }
        }
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            #expect(try tx.loadCheckpoint(of: "w", step: 2)?.state == states[2])
            #expect(try tx.loadCheckpoint(of: "w", step: 3) == nil)
            #expect(try tx.loadCheckpoint(of: "w", step: 4) == nil)
            #expect(try tx.loadCheckpoint(of: "fresh", step: 9) == nil)  // its transaction kept nothing
            // A step stored already stores nothing, delta or not; nor does an older one.
            try tx.storeCheckpoint(delta(2, on: 0), of: "w", attempt: 2, retention: 10)
            try tx.storeCheckpoint(
                Checkpoint(step: 1, nextNodes: [], state: "other"), of: "w", attempt: 2, retention: 10)
            #expect(try tx.loadCheckpoint(of: "w", step: 2)?.state == states[2])
            #expect(try tx.loadCheckpoint(of: "w", step: 1)?.state == states[1])
        }
    }

    /// Rows stored before checkpoint deltas (the whole state in `checkpoints.state`) load
    /// as they were, serve as a delta's base, and outlive retention through it.
    @Test func anOldWholeCheckpointRowStillLoads() async throws {
        let pool = try await TestDatabase.fresh()
        let repository = PostgresWorkflowRepository(pool: pool)
        let states = Self.states(12)
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            _ = try tx.insertWorkflow(Self.newWorkflow("w"))
        }
        try await pool.transaction { db in
            for step in 6...7 {
                var body = Checkpoint(step: step, nextNodes: ["n\(step)"], state: nil, journal: ["t": ["k": 1]])
                body.state = .null
                try db.query(
                    """
                    INSERT INTO checkpoints (workflow_id, step, attempt, next_nodes, state, body)
                    VALUES ('w', \(step), 1, \(json: ["n\(step)"]), \(json: states[step]), \(json: body))
                    """)
            }
            // Before migration 3, no body.
            try db.query(
                "INSERT INTO workflows (id, agent, input, fingerprint, status, attempt, machine) SELECT 'v', agent, input, 'f', status, attempt, machine FROM workflows WHERE id = 'w'"
            )
            try db.query(
                "INSERT INTO checkpoints (workflow_id, step, attempt, next_nodes, state) VALUES ('v', 3, 1, '[\"n\"]', '{\"a\": 1}')"
            )
        }
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            #expect(try tx.loadCheckpoint(of: "w", step: 7)?.state == states[7])
            #expect(try tx.loadCheckpoint(of: "w", step: 7)?.journal?["t"]?["k"] == 1)
            #expect(try tx.loadCheckpoint(of: "v", step: 3) == Checkpoint(step: 3, nextNodes: ["n"], state: ["a": 1]))
            for step in 8...11 {
                let delta = StateDelta.between(states[step - 1], states[step])
                try tx.storeCheckpoint(
                    Checkpoint(step: step, nextNodes: [], state: nil, stateDelta: delta, baseStep: step - 1),
                    of: "w", attempt: 2, retention: 2)
            }
            #expect(try tx.loadCheckpoint(of: "w", step: 7) == nil)
            #expect(try tx.loadCheckpoint(of: "w", step: 10)?.state == states[10])
            #expect(try tx.loadCheckpoint(of: "w", step: 11)?.state == states[11])
        }
    }

    /// What PostgreSQL keeps: the changes, once. A field appended to every step and one
    /// set every step, 200 steps, retention 5: the appends stay (they are the value), the
    /// dead sets go; compaction leaves one row.
    @Test func postgresKeepsWhatChangedOnce() async throws {
        let pool = try await TestDatabase.fresh()
        let repository = PostgresWorkflowRepository(pool: pool)
        let states: [JSONValue] = (0..<200).map { step in
            [
                "steps": .array((0..<step).map { .string("record \($0) " + String(repeating: "r", count: 100)) }),
                "n": .number(Double(step)),
            ]
        }
        let deltas = states.indices.filter { Self.sent(states, step: $0).isDelta }.count
        #expect(deltas >= 197)
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            _ = try tx.insertWorkflow(Self.newWorkflow("w"))
            for step in states.indices {
                try tx.storeCheckpoint(Self.sent(states, step: step), of: "w", attempt: 1, retention: 5)
            }
            #expect(try tx.loadCheckpoint(of: "w", step: 199)?.state == states[199])
        }
        func count(_ condition: String) async throws -> Int {
            try await pool.transaction { db in
                try db.query("SELECT count(*) AS n FROM checkpoint_changes WHERE \(unescaped: condition)").first?.int(
                    "n") ?? -1
            }
        }
        #expect(try await count("op = 'append'") == deltas)
        #expect(try await count("op = 'set'") <= 6)
        #expect(try await count("op = 'replace'") == 1)
        let stateColumns = try await pool.transaction { db in
            try db.query("SELECT count(*) AS n FROM checkpoints WHERE state IS NOT NULL").first?.int("n")
        }
        #expect(stateColumns == 0)
        try await repository.transaction { (tx: any WorkflowTransaction) throws in try tx.compactCheckpoints(of: "w") }
        #expect(try await count("true") == 1)
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            #expect(try tx.loadCheckpoint(of: "w", step: 199)?.state == states[199])
        }
    }

    @Test(arguments: Kind.allCases) func dueTimersAreTakenOnceAndHeldKindsWait(_ kind: Kind) async throws {
        let repository = try await kind.make()
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            for id in ["b", "a"] { _ = try tx.insertWorkflow(Self.newWorkflow(id)) }
            try tx.setTimer(.heartbeat, of: "a", at: Self.now, attempt: 1)
            try tx.setTimer(.backoff, of: "b", at: Self.now.addingTimeInterval(-1), attempt: 2)
            try tx.setTimer(.backoff, of: "a", at: Self.now.addingTimeInterval(60), attempt: 1)
            try tx.setTimer(.backoff, of: "a", at: Self.now.addingTimeInterval(-5), attempt: 3)  // re-armed
            try tx.setTimer(.execution, of: "b", at: Self.now.addingTimeInterval(1), attempt: 0)
            func take(holding held: [WorkflowTimer]) throws -> [DueTimer] {
                try tx.dueTimers(now: Self.now, holding: held, limit: 10).filter { try tx.takeTimer($0, now: Self.now) }
            }
            #expect(
                try take(holding: [.heartbeat]) == [
                    DueTimer(workflowId: "a", timer: .backoff, attempt: 3),
                    DueTimer(workflowId: "b", timer: .backoff, attempt: 2),
                ])
            #expect(try take(holding: [.heartbeat]).isEmpty)
            // Re-armed (same kind, a later attempt or time) after it was listed: not taken.
            let due = try tx.dueTimers(now: Self.now, holding: [], limit: 10)
            #expect(due == [DueTimer(workflowId: "a", timer: .heartbeat, attempt: 1)])
            try tx.setTimer(.heartbeat, of: "a", at: Self.now.addingTimeInterval(30), attempt: 1)
            #expect(try !tx.takeTimer(due[0], now: Self.now))
            try tx.setTimer(.heartbeat, of: "a", at: Self.now, attempt: 2)
            #expect(try !tx.takeTimer(due[0], now: Self.now))
            #expect(try tx.takeTimer(DueTimer(workflowId: "a", timer: .heartbeat, attempt: 2), now: Self.now))
            try tx.deleteTimer(.execution, of: "b")
            #expect(try tx.dueTimers(now: Self.now.addingTimeInterval(3600), holding: [], limit: 10).isEmpty)
        }
    }

    /// A batch is prepared (its workflows locked and its event ids looked up at once)
    /// and its writes wait for the commit: every read of the batch still sees them.
    @Test(arguments: Kind.allCases) func aPreparedBatchSeesItsOwnWrites(_ kind: Kind) async throws {
        let repository = try await kind.make()
        let seen = UUID()
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            for id in ["a", "b"] { _ = try tx.insertWorkflow(Self.newWorkflow(id)) }
            _ = try tx.appendHistory(
                HistoryRecord(
                    workflowId: "a", eventId: seen, attempt: 1, type: "started", outcome: "applied", payload: nil))
        }
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            let fresh = UUID()
            try tx.prepare(lockingWorkflows: ["b", "a", "nobody"], eventIds: [seen, fresh])
            #expect(try tx.lockWorkflow("nobody") == nil)
            func entry(_ id: UUID) -> HistoryRecord {
                HistoryRecord(
                    workflowId: "a", eventId: id, attempt: 1, type: "started", outcome: "applied", payload: nil)
            }
            #expect(try !tx.appendHistory(entry(seen)))
            #expect(try tx.appendHistory(entry(fresh)))
            #expect(try !tx.appendHistory(entry(fresh)))
            var machine = try #require(try tx.lockWorkflow("a")).machine
            _ = machine.handle(.submitted, now: Self.now, random: 0)
            try tx.saveWorkflow(
                WorkflowUpdate(id: "a", machine: machine, now: Self.now, error: nil, interrupt: .unchanged))
            #expect(try tx.lockWorkflow("a")?.machine.status == .dispatched)
            try tx.storeCheckpoint(
                Checkpoint(step: 1, nextNodes: ["n"], state: ["k": 1]), of: "a", attempt: 1, retention: 3)
            #expect(try tx.loadCheckpoint(of: "a", step: 1)?.state == ["k": 1])
            try tx.recordProgress(ActivityProgress(node: "n", step: 1), of: "a")
            try tx.setTimer(.heartbeat, of: "a", at: Self.now, attempt: 1)
            try tx.deleteTimer(.heartbeat, of: "a")
            try tx.setTimer(.backoff, of: "b", at: Self.now, attempt: 1)
            #expect(try tx.view(of: "a")?.status == .dispatched)
            #expect(
                try tx.dueTimers(now: Self.now, holding: [], limit: 10) == [
                    DueTimer(workflowId: "b", timer: .backoff, attempt: 1)
                ])
        }
        try await repository.transaction { (tx: any WorkflowTransaction) throws in
            #expect(try tx.view(of: "a")?.progress?.node == "n")
            #expect(try tx.lockWorkflow("a")?.machine.status == .dispatched)
        }
    }
}
