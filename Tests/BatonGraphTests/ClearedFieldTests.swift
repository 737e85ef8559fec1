import BatonContracts
import BatonGraph
import Foundation
import Testing

/// A state whose optional field starts set, so that a node can clear it.
struct Memo: GraphState, Equatable {
    var note: String? = "old"
    var seen: [String] = []
    static let reducers: [String: Reducer] = ["seen": .append]
}

/// The same, with a custom reducer on another field: every step folds writes.
struct CountedMemo: GraphState, Equatable {
    var note: String? = "old"
    var count = 0
    static let reducers: [String: Reducer] = [
        "count": .custom { current, input, output in
            .number((current?.numberValue ?? 0) + (output.numberValue ?? 0) - (input?.numberValue ?? 0))
        }
    ]
}

/// A node that sets the field to nil must leave it nil in the state, whichever way the
/// step folds its writes: the encoder leaves nil fields out, so a write set that only
/// looked at the keys a node returned lost the clearing.
@Suite struct ClearedFieldTests {
    static func clearing(_ state: Memo, _ context: NodeContext) -> Memo {
        var state = state
        state.note = nil
        state.seen.append(context.task)
        return state
    }

    static func noting(_ state: Memo, _ context: NodeContext) -> Memo {
        var state = state
        state.seen.append(context.task)
        return state
    }

    /// start → (clear, other) in one super-step → join.
    static func parallelGraph(otherCrashes: Bool = false, calls: Calls = Calls()) throws -> CompiledGraph<Memo> {
        var graph = StateGraph<Memo>()
        graph.addNode("clear") { state, context in
            calls.record("clear")
            return clearing(state, context)
        }
        graph.addNode("other") { state, context in
            calls.record("other")
            if otherCrashes { throw Recorder.Crash() }
            return noting(state, context)
        }
        graph.addNode("join") { state, _ in state }
        for branch in ["clear", "other"] {
            graph.addEdge(from: StateGraph<Memo>.start, to: branch)
            graph.addEdge(from: branch, to: "join")
        }
        graph.addEdge(from: "join", to: StateGraph<Memo>.end)
        return try graph.compile()
    }

    /// plan → `Send` to work, one task per input → END; work#0 clears the note.
    static func sendGraph(inputs: Int) throws -> CompiledGraph<Memo> {
        var graph = StateGraph<Memo>()
        graph.addNode("plan") { state, _ in state }
        graph.addNode("work") { state, context in
            context.task == "work#0" ? clearing(state, context) : noting(state, context)
        }
        graph.addEdge(from: StateGraph<Memo>.start, to: "plan")
        graph.addConditionalEdges(from: "plan", destinations: ["work"]) { state in
            (0..<inputs).map { _ in .send("work", state) }
        }
        graph.addEdge(from: "work", to: StateGraph<Memo>.end)
        return try graph.compile()
    }

    @Test func aParallelStepOfTwoEdgesKeepsTheClearing() async throws {
        let outcome = try await Self.parallelGraph().run(input: Memo())
        #expect(outcome.state == Memo(note: nil, seen: ["clear", "other"]))
    }

    @Test func aParallelSendStepKeepsTheClearing() async throws {
        let outcome = try await Self.sendGraph(inputs: 2).run(input: Memo())
        #expect(outcome.state == Memo(note: nil, seen: ["work#0", "work#1"]))
    }

    @Test func aLoneSendTaskKeepsTheClearing() async throws {
        let outcome = try await Self.sendGraph(inputs: 1).run(input: Memo())
        #expect(outcome.state == Memo(note: nil, seen: ["work#0"]))
    }

    @Test func aStateWithACustomReducerKeepsTheClearing() async throws {
        var graph = StateGraph<CountedMemo>()
        graph.addNode("clear") { state, _ in
            var state = state
            state.note = nil
            state.count += 1
            return state
        }
        graph.addEdge(from: StateGraph<CountedMemo>.start, to: "clear")
        graph.addEdge(from: "clear", to: StateGraph<CountedMemo>.end)
        let outcome = try await graph.compile().run(input: CountedMemo())
        #expect(outcome.state == CountedMemo(note: nil, count: 1))
    }

    /// `other` dies; `clear` finished in the same step and its writes were saved. The
    /// resumed run replays them instead of running `clear` again: the clearing must be
    /// among them.
    @Test func aResumedStepReplaysTheClearingFromItsSavedWrites() async throws {
        let calls = Calls()
        let recorder = Recorder()
        await #expect(throws: Recorder.Crash.self) {
            _ = try await Self.parallelGraph(otherCrashes: true, calls: calls).run(
                input: Memo(), hooks: recorder.hooks)
        }
        let last = try #require(recorder.all.last)
        #expect(last.pendingWrites?["clear"] != nil)
        #expect(last.nextNodes.sorted() == ["clear", "other"])

        let resumed = try await Self.parallelGraph(calls: calls).run(input: Memo(), resumingFrom: last, attempt: 2)
        #expect(resumed.state == Memo(note: nil, seen: ["clear", "other"]))
        #expect(calls.count("clear") == 1)
    }

    /// Saved writes record a cleared field as an explicit null, which survives the
    /// checkpoint's trip through JSON text (to the scheduler's database and back).
    @Test func savedWritesHoldTheClearingAsNullThroughJSONText() async throws {
        let recorder = Recorder()
        await #expect(throws: Recorder.Crash.self) {
            _ = try await Self.parallelGraph(otherCrashes: true).run(input: Memo(), hooks: recorder.hooks)
        }
        let last = try #require(recorder.all.last)
        #expect(last.pendingWrites?["clear"]?["note"] == .null)
        let text = try JSONEncoder().encode(last)
        let stored = try JSONDecoder().decode(Checkpoint.self, from: text)
        let resumed = try await Self.parallelGraph().run(input: Memo(), resumingFrom: stored)
        #expect(resumed.state?.note == nil)
    }

    /// A checkpoint taken inside a parallel step by the runtime before clearings were
    /// recorded: its saved writes have no entry for a cleared field, and still resume.
    @Test func aCheckpointSavedInTheFormerFormatStillResumes() async throws {
        let text = #"""
            {"step": 2, "superstep": 0, "nextNodes": ["clear", "other"], "parentStep": 1,
             "state": {"note": "old", "seen": []},
             "pendingWrites": {"clear": {"seen": ["clear"]}}}
            """#
        let stored = try JSONDecoder().decode(Checkpoint.self, from: Data(text.utf8))
        let calls = Calls()
        let resumed = try await Self.parallelGraph(calls: calls).run(input: Memo(), resumingFrom: stored)
        #expect(resumed.state == Memo(note: "old", seen: ["clear", "other"]))
        #expect(calls.all == ["other"])
    }
}
