import BatonContracts
import BatonGraph
import Synchronization
import Testing

@Suite struct StateGraphTests {
    struct Trail: Codable, Sendable, Equatable {
        var visited: [String] = []
    }

    /// a → b → c, recording each visit.
    static func chain(calls: Calls = Calls()) throws -> CompiledGraph<Trail> {
        var graph = StateGraph<Trail>()
        for name in ["a", "b", "c"] {
            graph.addNode(name) { state, context in
                calls.record(context.node)
                var state = state
                state.visited.append(context.node)
                return state
            }
        }
        graph.addEdge(from: StateGraph<Trail>.start, to: "a")
        graph.addEdge(from: "a", to: "b")
        graph.addEdge(from: "b", to: "c")
        graph.addEdge(from: "c", to: StateGraph<Trail>.end)
        return try graph.compile()
    }

    final class Calls: Sendable {
        let names = Mutex<[String]>([])
        func record(_ name: String) { names.withLock { $0.append(name) } }
        var all: [String] { names.withLock { $0 } }
    }

    final class Checkpoints: Sendable {
        let items = Mutex<[Checkpoint]>([])
        var all: [Checkpoint] { items.withLock { $0 } }
        var hooks: GraphRunHooks { GraphRunHooks(checkpoint: { c in self.items.withLock { $0.append(c) } }) }
    }

    @Test func runsTheChainInOrderAndCheckpointsEveryStep() async throws {
        let checkpoints = Checkpoints()
        let final = try await Self.chain().run(input: Trail(), hooks: checkpoints.hooks)
        #expect(final.visited == ["a", "b", "c"])
        #expect(checkpoints.all.map(\.step) == [1, 2, 3])
        #expect(checkpoints.all.map(\.nextNodes) == [["b"], ["c"], []])
        #expect(checkpoints.all[0].state == ["visited": ["a"]])
    }

    @Test func resumingRunsNoFinishedNodeAgain() async throws {
        let calls = Calls()
        let checkpoint = Checkpoint(step: 2, nextNodes: ["c"], state: ["visited": ["a", "b"]])
        let final = try await Self.chain(calls: calls).run(input: Trail(), resumingFrom: checkpoint)
        #expect(final.visited == ["a", "b", "c"])
        #expect(calls.all == ["c"])
    }

    @Test func resumingAFinishedGraphRunsNothing() async throws {
        let calls = Calls()
        let checkpoint = Checkpoint(step: 3, nextNodes: [], state: ["visited": ["a", "b", "c"]])
        let final = try await Self.chain(calls: calls).run(input: Trail(), resumingFrom: checkpoint)
        #expect(final.visited == ["a", "b", "c"])
        #expect(calls.all.isEmpty)
    }

    @Test func aCheckpointOfAnotherGraphIsRefused() async throws {
        let checkpoint = Checkpoint(step: 1, nextNodes: ["zz"], state: ["visited": []])
        await #expect(throws: GraphError.checkpointMismatch("it names node 'zz', which this graph does not have")) {
            _ = try await Self.chain().run(input: Trail(), resumingFrom: checkpoint)
        }
    }

    @Test func compileRejectsAnEdgeToAnUnknownNode() {
        var graph = StateGraph<Trail>()
        graph.addNode("a") { state, _ in state }
        graph.addEdge(from: StateGraph<Trail>.start, to: "a")
        graph.addEdge(from: "a", to: "nowhere")
        #expect(throws: GraphError.unknownNode("nowhere", referencedBy: "a")) { try graph.compile() }
    }

    @Test func compileRejectsUnreachableNodes() {
        var graph = StateGraph<Trail>()
        graph.addNode("a") { state, _ in state }
        graph.addNode("island") { state, _ in state }
        graph.addEdge(from: StateGraph<Trail>.start, to: "a")
        graph.addEdge(from: "a", to: StateGraph<Trail>.end)
        graph.addEdge(from: "island", to: StateGraph<Trail>.end)
        #expect(throws: GraphError.unreachableNodes(["island"])) { try graph.compile() }
    }

    @Test func compileRejectsAGraphWithoutEntry() {
        var graph = StateGraph<Trail>()
        graph.addNode("a") { state, _ in state }
        graph.addEdge(from: "a", to: StateGraph<Trail>.end)
        #expect(throws: GraphError.noEntryPoint) { try graph.compile() }
    }

    @Test func compileRejectsDuplicateNodes() {
        var graph = StateGraph<Trail>()
        graph.addNode("a") { state, _ in state }
        graph.addNode("a") { state, _ in state }
        #expect(throws: GraphError.duplicateNode("a")) { try graph.compile() }
    }

    @Test func aCycleWithoutExitIsRefusedAtCompileTime() {
        var graph = StateGraph<Trail>()
        graph.addNode("a") { state, _ in state }
        graph.addNode("b") { state, _ in state }
        graph.addEdge(from: StateGraph<Trail>.start, to: "a")
        graph.addEdge(from: "a", to: "b")
        graph.addEdge(from: "b", to: "a")
        #expect(throws: GraphError.noPathToEnd(from: "a")) { try graph.compile() }
    }

    @Test func aRunStopsAtTheStepLimit() async throws {
        var graph = StateGraph<Trail>()
        for name in ["a", "b", "c"] { graph.addNode(name) { state, _ in state } }
        graph.addEdge(from: StateGraph<Trail>.start, to: "a")
        graph.addEdge(from: "a", to: "b")
        graph.addEdge(from: "b", to: "c")
        graph.addEdge(from: "c", to: StateGraph<Trail>.end)
        let compiled = try graph.compile(stepLimit: 2)
        await #expect(throws: GraphError.stepLimitExceeded(2)) { _ = try await compiled.run(input: Trail()) }
    }
}
