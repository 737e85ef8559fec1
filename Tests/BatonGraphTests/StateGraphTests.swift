import BatonContracts
import BatonGraph
import Testing

@Suite struct StateGraphTests {
    @Test func runsTheChainInOrderAndCheckpointsEveryStep() async throws {
        let recorder = Recorder()
        let outcome = try await chain().run(input: Trail(), hooks: recorder.hooks)
        #expect(outcome.state?.visited == ["a", "b", "c"])
        #expect(recorder.all.map(\.step) == [1, 2, 3])
        #expect(recorder.all.map(\.nextNodes) == [["b"], ["c"], []])
        #expect(recorder.all.map(\.parentStep) == [0, 1, 2])
        #expect(recorder.all[0].state["visited"] == ["a"])
    }

    @Test func resumingRunsNoFinishedNodeAgain() async throws {
        let calls = Calls()
        let checkpoint = Checkpoint(
            step: 2, nextNodes: ["c"], state: try CompiledGraph<Trail>.encode(Trail(visited: ["a", "b"])))
        let outcome = try await chain(calls: calls).run(input: Trail(), resumingFrom: checkpoint)
        #expect(outcome.state?.visited == ["a", "b", "c"])
        #expect(calls.all == ["c"])
    }

    @Test func resumingAFinishedGraphRunsNothing() async throws {
        let calls = Calls()
        let done = Checkpoint(
            step: 3, nextNodes: [], state: try CompiledGraph<Trail>.encode(Trail(visited: ["a", "b", "c"])))
        let outcome = try await chain(calls: calls).run(input: Trail(), resumingFrom: done)
        #expect(outcome.state?.visited == ["a", "b", "c"])
        #expect(calls.all.isEmpty)
    }

    @Test func aCheckpointOfAnotherGraphIsRefused() async throws {
        let checkpoint = Checkpoint(step: 1, nextNodes: ["zz"], state: try CompiledGraph<Trail>.encode(Trail()))
        await #expect(throws: GraphError.checkpointMismatch("it names node 'zz', which this graph does not have")) {
            _ = try await chain().run(input: Trail(), resumingFrom: checkpoint)
        }
    }

    @Test func parallelBranchesMergeDeterministically() async throws {
        // start → (x, y, z) in one super-step → join. Each branch sleeps a random time.
        for _ in 0..<5 {
            var graph = StateGraph<Trail>()
            for name in ["z", "x", "y"] {
                graph.addNode(name) { state, context in
                    try await Task.sleep(for: .milliseconds(Int.random(in: 0...5)))
                    var state = state
                    state.visited.append(context.node)
                    state.notes[context.node] = "seen"
                    state.last = context.node
                    state.total += 1
                    return state
                }
                graph.addEdge(from: StateGraph<Trail>.start, to: name)
                graph.addEdge(from: name, to: "join")
            }
            graph.addNode("join") { state, _ in state }
            graph.addEdge(from: "join", to: StateGraph<Trail>.end)
            let outcome = try await graph.compile().run(input: Trail())
            let state = try #require(outcome.state)
            #expect(state.visited == ["x", "y", "z"])  // appends land in task-name order
            #expect(state.notes == ["x": "seen", "y": "seen", "z": "seen"])  // merged
            #expect(state.last == "z")  // replace: the last task in order wins
            #expect(state.total == 3)  // custom reducer: sum
        }
    }

    @Test func sendFansOneNodeOutOverManyInputs() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("plan") { state, _ in state }
        graph.addNode("work") { state, context in
            var state = state
            state.visited.append("work:\(state.last)")
            state.total = 1
            return state
        }
        graph.addNode("report") { state, _ in state }
        graph.addEdge(from: StateGraph<Trail>.start, to: "plan")
        graph.addConditionalEdges(from: "plan", destinations: ["work"]) { state in
            ["eu", "us", "apac"].map { region in
                var input = state
                input.last = region
                return .send("work", input)
            }
        }
        graph.addEdge(from: "work", to: "report")
        graph.addEdge(from: "report", to: StateGraph<Trail>.end)
        let recorder = Recorder()
        let outcome = try await graph.compile().run(input: Trail(), hooks: recorder.hooks)
        #expect(outcome.state?.visited == ["work:eu", "work:us", "work:apac"])
        #expect(outcome.state?.total == 3)
        let fanOut = try #require(recorder.all.first { $0.nextNodes.contains("work#0") })
        #expect(fanOut.nextNodes == ["work#0", "work#1", "work#2"])
        #expect(fanOut.sendInputs?["work#1"]?["last"] == "us")
    }

    @Test func conditionalEdgesLoopUntilDone() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("count") { state, _ in
            var state = state
            state.total += 1
            return state
        }
        graph.addEdge(from: StateGraph<Trail>.start, to: "count")
        graph.addConditionalEdges(from: "count", destinations: ["count", StateGraph<Trail>.end]) { state in
            state.total < 4 ? [.node("count")] : [.end]
        }
        #expect(try await graph.compile().run(input: Trail()).state?.total == 4)
        await #expect(throws: GraphError.stepLimitExceeded(3)) {
            _ = try await graph.compile(stepLimit: 3).run(input: Trail())
        }
    }

    @Test func aRouteToAnUndeclaredNodeIsAnError() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("a") { state, _ in state }
        graph.addNode("b") { state, _ in state }
        graph.addEdge(from: StateGraph<Trail>.start, to: "a")
        graph.addConditionalEdges(from: "a", destinations: ["b", StateGraph<Trail>.end]) { _ in [.node("a")] }
        graph.addEdge(from: "b", to: StateGraph<Trail>.end)
        await #expect(throws: GraphError.undeclaredRoute(from: "a", to: "a")) {
            _ = try await graph.compile().run(input: Trail())
        }
    }
}

@Suite struct GraphValidationTests {
    @Test func anEdgeToAnUnknownNode() {
        var graph = StateGraph<Trail>()
        graph.addNode("a") { state, _ in state }
        graph.addEdge(from: StateGraph<Trail>.start, to: "a")
        graph.addEdge(from: "a", to: "nowhere")
        #expect(throws: GraphError.unknownNode("nowhere", referencedBy: "a")) { try graph.compile() }
    }

    @Test func unreachableNodes() {
        var graph = StateGraph<Trail>()
        graph.addNode("a") { state, _ in state }
        graph.addNode("island") { state, _ in state }
        graph.addEdge(from: StateGraph<Trail>.start, to: "a")
        graph.addEdge(from: "a", to: StateGraph<Trail>.end)
        graph.addEdge(from: "island", to: StateGraph<Trail>.end)
        #expect(throws: GraphError.unreachableNodes(["island"])) { try graph.compile() }
    }

    @Test func noEntry() {
        var graph = StateGraph<Trail>()
        graph.addNode("a") { state, _ in state }
        graph.addEdge(from: "a", to: StateGraph<Trail>.end)
        #expect(throws: GraphError.noEntryPoint) { try graph.compile() }
    }

    @Test func duplicateAndReservedNames() {
        var graph = StateGraph<Trail>()
        graph.addNode("a") { state, _ in state }
        graph.addNode("a") { state, _ in state }
        #expect(throws: GraphError.duplicateNode("a")) { try graph.compile() }
        var reserved = StateGraph<Trail>()
        reserved.addNode("x#1") { state, _ in state }
        #expect(throws: GraphError.reservedName("x#1")) { try reserved.compile() }
    }

    @Test func aNodeWithoutOutgoingEdge() {
        var graph = StateGraph<Trail>()
        graph.addNode("a") { state, _ in state }
        graph.addEdge(from: StateGraph<Trail>.start, to: "a")
        #expect(throws: GraphError.noOutgoingEdge("a")) { try graph.compile() }
    }

    @Test func aCycleWithoutExit() {
        var graph = StateGraph<Trail>()
        graph.addNode("a") { state, _ in state }
        graph.addNode("b") { state, _ in state }
        graph.addEdge(from: StateGraph<Trail>.start, to: "a")
        graph.addEdge(from: "a", to: "b")
        graph.addEdge(from: "b", to: "a")
        #expect(throws: GraphError.noPathToEnd(from: "a")) { try graph.compile() }
    }
}
