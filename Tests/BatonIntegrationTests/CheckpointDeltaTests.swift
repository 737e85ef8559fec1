import BatonContracts
import BatonGraph
import BatonSchedulerClient
import Foundation
import Testing

@testable import BatonWorker

/// Issue #12: checkpoints carry, and the scheduler stores, what each step changed.
@Suite struct CheckpointDeltaTests {
    static let big: JSONValue = .string(String(repeating: "x", count: 2000))

    @Test func aWorkerSendsEachCheckpointAsTheChangeFromTheOneBefore() {
        let resume = Checkpoint(step: 3, nextNodes: ["a"], state: ["steps": [Self.big, Self.big]])
        let four = Checkpoint(step: 4, nextNodes: ["b"], state: ["steps": [Self.big, Self.big, "c"]])
        let five = Checkpoint(step: 5, nextNodes: [], state: ["steps": [Self.big, Self.big, "c", "d"], "done": true])

        let sent = SentCheckpoints(resumedFrom: resume, deltas: true)
        let first = sent.next(four)
        #expect(first.baseStep == 3 && first.state == .null)
        #expect(first.stateDelta?.changes == [.append(field: "steps", items: ["c"])])
        let second = sent.next(five)
        #expect(second.baseStep == 4)
        #expect(second.applyingDelta(to: four.state) == five)

        // A fresh run has no base for its first checkpoint; a scheduler that did not ask
        // for deltas gets whole states.
        let fresh = SentCheckpoints(resumedFrom: nil, deltas: true)
        #expect(fresh.next(four) == four)
        #expect(fresh.next(five).baseStep == 4)
        let old = SentCheckpoints(resumedFrom: resume, deltas: false)
        #expect(old.next(four) == four)
        #expect(old.next(five) == five)
    }

    /// The change the graph hands out is sent as it is when it starts from the state sent
    /// last (the two states are not compared again); from any other state, the worker
    /// compares the states.
    @Test func aWorkerSendsTheGraphsOwnChangeWhenItStartsFromTheStateSentLast() {
        let resume = Checkpoint(step: 3, nextNodes: ["a"], state: ["steps": [Self.big, Self.big]])
        let four = Checkpoint(step: 4, nextNodes: ["b"], state: ["steps": [Self.big, Self.big, "c"]])
        // A delta in another form than comparing gives (with a needless removal), to tell
        // them apart.
        let told = StateDelta([.append(field: "steps", items: ["c"]), .remove(field: "absent")])

        let sent = SentCheckpoints(resumedFrom: resume, deltas: true)
        let first = sent.next(four, change: StateChange(baseStep: 3, base: resume.state, delta: told))
        #expect(first.baseStep == 3 && first.stateDelta == told)

        let other = SentCheckpoints(resumedFrom: resume, deltas: true)
        let fromElsewhere = other.next(four, change: StateChange(baseStep: 3, base: ["steps": []], delta: told))
        #expect(fromElsewhere.stateDelta?.changes == [.append(field: "steps", items: ["c"])])
        let fromAnotherStep = SentCheckpoints(resumedFrom: resume, deltas: true)
            .next(four, change: StateChange(baseStep: 2, base: resume.state, delta: told))
        #expect(fromAnotherStep.stateDelta?.changes == [.append(field: "steps", items: ["c"])])
    }

    /// A conversation-like chain (1 KB appended per step): the rows written while it
    /// runs are one whole state and then one append per step; the result and the state
    /// kept after its end are whole.
    @Test func aGrowingStateIsStoredAsAppends() async throws {
        try await Stack.run { stack in
            let id = try await stack.submit(
                SubmitWorkflowRequest(
                    agent: "chain", input: ["steps": 20, "sleep_ms": 150, "payload_bytes": 1024])
            ).view.id
            _ = try await Stack.waitForCount(
                stack.databaseURL, "SELECT coalesce(max(checkpoint_step), 0) AS n FROM workflows WHERE id = '\(id)'",
                atLeast: 8)
            let running = try await stack.query(
                """
                SELECT op, count(*) AS n, max(octet_length(value::text)) AS bytes FROM checkpoint_changes
                WHERE workflow_id = \(id) GROUP BY op ORDER BY op
                """)
            let byOp = Dictionary(uniqueKeysWithValues: running.all.map { ($0["op"] ?? "", $0) })
            #expect(byOp["replace"]?["n"] == "1")
            #expect(Int(byOp["append"]?["n"] ?? "") ?? 0 >= 6)
            #expect(Int(byOp["append"]?["bytes"] ?? "") ?? .max < 1200)  // one record, not the list
            #expect(try await stack.query("SELECT 1 AS one FROM checkpoints WHERE state IS NOT NULL").isEmpty)

            let view = try await stack.waitUntilFinished(id)
            #expect(view.status == .completed)
            let records = view.result?["steps"]?.arrayValue ?? []
            #expect(records.count == 20)
            #expect(records.allSatisfy { $0["payload"]?.stringValue?.utf8.count == 1024 })
            let kept = try await stack.query(
                "SELECT op, jsonb_array_length(value -> 'steps') AS n FROM checkpoint_changes WHERE workflow_id = \(id)"
            )
            #expect(kept.all.map { "\($0["op"] ?? "") \($0["n"] ?? "")" } == ["replace 20"])
        }
    }
}
