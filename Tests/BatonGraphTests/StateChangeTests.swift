import BatonContracts
import BatonGraph
import Synchronization
import Testing

/// Collects every checkpoint of a run with the change the runtime says its state made.
final class ChangeRecorder: Sendable {
    private let emitted = Mutex<[(checkpoint: Checkpoint, change: StateChange)]>([])

    var all: [(checkpoint: Checkpoint, change: StateChange)] { emitted.withLock { $0 } }

    var hooks: GraphRunHooks {
        var hooks = GraphRunHooks()
        hooks.checkpoint = { checkpoint, change in self.emitted.withLock { $0.append((checkpoint, change)) } }
        return hooks
    }

    /// Each change starts from the checkpoint before it (the first from `start`) and is
    /// the delta that comparing the two states gives.
    func expectChainedChanges(from start: (step: Int, state: JSONValue), _ comment: Comment? = nil) {
        var previous = start
        for (checkpoint, change) in all {
            #expect(change.baseStep == previous.step, comment)
            #expect(change.base == previous.state, comment)
            #expect(change.delta == StateDelta.between(previous.state, checkpoint.state), comment)
            #expect(change.delta.applied(to: change.base) == checkpoint.state, comment)
            previous = (checkpoint.step, checkpoint.state)
        }
    }
}

/// The change the runtime hands out with each checkpoint (`StateChange`), made from the
/// fields its steps wrote, is the delta between the two states: for one task, for
/// parallel branches with every kind of reducer, for `Send` fan-outs, across an
/// interrupt and its resume, and around a subgraph's checkpoints.
@Suite struct StateChangeTests {
    /// start → plan → (x, y, z) in one super-step → join → END, touching every kind of
    /// field: `visited` appended, `notes` merged (x removes one), `last` replaced,
    /// `total` through the custom reducer.
    static func branchingGraph() throws -> CompiledGraph<Trail> {
        var graph = StateGraph<Trail>()
        graph.addNode("plan") { state, _ in
            var state = state
            state.visited.append("plan")
            state.notes = ["plan": "p", "drop": "d"]
            state.last = "plan"
            return state
        }
        for name in ["z", "x", "y"] {
            graph.addNode(name) { state, context in
                var state = state
                state.visited.append(context.node)
                state.notes[context.node] = "seen"
                if context.node == "x" { state.notes["drop"] = nil }
                state.last = context.node
                state.total += 1
                return state
            }
            graph.addEdge(from: "plan", to: name)
            graph.addEdge(from: name, to: "join")
        }
        graph.addNode("join") { state, _ in
            var state = state
            state.visited = ["joined"]  // rewritten, not extended
            return state
        }
        graph.addEdge(from: StateGraph<Trail>.start, to: "plan")
        graph.addEdge(from: "join", to: StateGraph<Trail>.end)
        return try graph.compile()
    }

    @Test func singleAndParallelStepsHandOutTheDeltaBetweenTheirStates() async throws {
        let recorder = ChangeRecorder()
        let input = Trail(visited: ["input"])
        let outcome = try await Self.branchingGraph().run(input: input, hooks: recorder.hooks)
        #expect(outcome.state?.visited == ["joined"])
        // Parallel tasks checkpoint as they finish: those checkpoints change no state.
        #expect(recorder.all.contains { $0.change.delta.isEmpty })
        #expect(
            recorder.all.contains { $0.change.delta.changes.contains { if case .append = $0 { true } else { false } } })
        recorder.expectChainedChanges(from: (0, try CompiledGraph<Trail>.encode(input)))
    }

    @Test func aSendFanOutHandsOutTheDeltaBetweenItsStates() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("plan") { state, _ in state }
        graph.addNode("work") { state, context in
            var state = state
            state.visited.append("work:\(state.last)")
            state.total = 1
            return state
        }
        graph.addEdge(from: StateGraph<Trail>.start, to: "plan")
        graph.addConditionalEdges(from: "plan", destinations: ["work"]) { state in
            ["eu", "us"].map { region in
                var input = state
                input.last = region
                return .send("work", input)
            }
        }
        graph.addEdge(from: "work", to: StateGraph<Trail>.end)
        let recorder = ChangeRecorder()
        let outcome = try await graph.compile().run(input: Trail(), hooks: recorder.hooks)
        #expect(outcome.state?.visited == ["work:eu", "work:us"])
        recorder.expectChainedChanges(from: (0, try CompiledGraph<Trail>.encode(Trail())))
    }

    /// A run that resumes from an interrupt hands out its first change from the
    /// checkpoint it resumed from.
    @Test func aResumedRunStartsItsChangesFromTheCheckpointItResumedFrom() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("ask") { state, context in
            let answer = try await context.interrupt(InterruptRequest(title: "Go?", question: "Go on?", choices: []))
            var state = state
            state.visited.append("ask")
            state.last = answer.text ?? ""
            return state
        }
        graph.addNode("after") { state, _ in
            var state = state
            state.visited.append("after")
            return state
        }
        graph.addEdge(from: StateGraph<Trail>.start, to: "ask")
        graph.addEdge(from: "ask", to: "after")
        graph.addEdge(from: "after", to: StateGraph<Trail>.end)
        let compiled = try graph.compile()

        let first = ChangeRecorder()
        let input = Trail(visited: ["input"])
        _ = try await compiled.run(input: input, hooks: first.hooks)
        first.expectChainedChanges(from: (0, try CompiledGraph<Trail>.encode(input)))
        let stopped = try #require(first.all.last?.checkpoint)

        let resumed = ChangeRecorder()
        let outcome = try await compiled.run(
            input: Trail(), resumingFrom: stopped, humanInput: ["text": "yes"], hooks: resumed.hooks)
        #expect(outcome.state?.visited == ["input", "ask", "after"])
        #expect(resumed.all.first?.change.baseStep == stopped.step)
        resumed.expectChainedChanges(from: (stopped.step, stopped.state))
    }

    /// A subgraph's checkpoints travel inside its parent's, whose state does not change
    /// until the subgraph's task finishes.
    @Test func aSubgraphsCheckpointsChangeNoParentState() async throws {
        var graph = StateGraph<Trail>()
        graph.addSubgraph("inner", try chain(["s1", "s2"]))
        graph.addNode("after") { state, _ in
            var state = state
            state.visited.append("after")
            return state
        }
        graph.addEdge(from: StateGraph<Trail>.start, to: "inner")
        graph.addEdge(from: "inner", to: "after")
        graph.addEdge(from: "after", to: StateGraph<Trail>.end)
        let recorder = ChangeRecorder()
        let outcome = try await graph.compile().run(input: Trail(), hooks: recorder.hooks)
        #expect(outcome.state?.visited == ["s1", "s2", "after"])
        #expect(recorder.all.filter { $0.checkpoint.children?["inner"] != nil }.allSatisfy { $0.change.delta.isEmpty })
        recorder.expectChainedChanges(from: (0, try CompiledGraph<Trail>.encode(Trail())))
    }
}
