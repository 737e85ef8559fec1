import BatonContracts
import BatonGraph
import Testing

/// Checkpoints come from the database and token counts from model servers: numbers the
/// runtime must not trust to fit. Each of these stopped the process (an overflow trap)
/// or ran unbounded before they became errors.
@Suite struct OutsideDataTests {
    /// A node journaling one call that reports `tokens` prompt tokens.
    static func spending(_ tokens: Int, calls: Int = 1) throws -> CompiledGraph<Trail> {
        var graph = StateGraph<Trail>()
        graph.addNode("spend") { state, context in
            for _ in 0..<calls {
                _ = try await context.call("llm", usage: { TokenUsage(promptTokens: $0) }) { tokens }
            }
            return state
        }
        graph.addEdge(from: StateGraph<Trail>.start, to: "spend")
        graph.addEdge(from: "spend", to: StateGraph<Trail>.end)
        return try graph.compile()
    }

    /// A loop that only the step limit ends.
    static func endlessLoop(stepLimit: Int) throws -> CompiledGraph<Trail> {
        var graph = StateGraph<Trail>()
        graph.addNode("count") { state, _ in state }
        graph.addEdge(from: StateGraph<Trail>.start, to: "count")
        graph.addConditionalEdges(from: "count", destinations: ["count", StateGraph<Trail>.end]) { _ in
            [.node("count")]
        }
        return try graph.compile(stepLimit: stepLimit)
    }

    @Test func tokenCountsThatOverflowAreAnErrorNamingTheNode() async throws {
        await #expect(throws: GraphError.usageOverflow(node: "spend")) {
            _ = try await Self.spending(Int.max, calls: 2).run(input: Trail())
        }
    }

    @Test func aCheckpointsUsageThatANewCallWouldOverflowIsAnError() async throws {
        let checkpoint = Checkpoint(
            step: 4, nextNodes: ["spend"], state: try CompiledGraph<Trail>.encode(Trail()),
            usage: ["spend": TokenUsage(promptTokens: Int.max)])
        await #expect(throws: GraphError.usageOverflow(node: "spend")) {
            _ = try await Self.spending(1).run(input: Trail(), resumingFrom: checkpoint)
        }
    }

    @Test func aCheckpointWhoseNumberCannotGrowIsRefused() async throws {
        let checkpoint = Checkpoint(
            step: Int.max, superstep: 0, nextNodes: ["a"], state: try CompiledGraph<Trail>.encode(Trail()))
        await #expect(
            throws: GraphError.checkpointMismatch(
                "its number \(Int.max) is the largest there is; it cannot be followed")
        ) {
            _ = try await chain().run(input: Trail(), resumingFrom: checkpoint)
        }
    }

    /// A negative super-step count would let a loop run past the step limit.
    @Test func aCheckpointWithANegativeCountIsRefused() async throws {
        let checkpoint = Checkpoint(
            step: 1, superstep: -1_000_000, nextNodes: ["count"], state: try CompiledGraph<Trail>.encode(Trail()))
        await #expect(
            throws: GraphError.checkpointMismatch(
                "its checkpoint number (1) or super-step count (-1000000) is negative")
        ) {
            _ = try await Self.endlessLoop(stepLimit: 3).run(input: Trail(), resumingFrom: checkpoint)
        }
    }

    @Test func aSendFanOutPastTheTaskLimitIsAnError() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("plan") { state, _ in state }
        graph.addNode("work") { state, _ in state }
        graph.addEdge(from: StateGraph<Trail>.start, to: "plan")
        graph.addConditionalEdges(from: "plan", destinations: ["work"]) { state in
            Array(repeating: .send("work", state), count: 11)
        }
        graph.addEdge(from: "work", to: StateGraph<Trail>.end)
        await #expect(throws: GraphError.taskLimitExceeded(10)) {
            _ = try await graph.compile(taskLimit: 10).run(input: Trail())
        }
        #expect(try await graph.compile(taskLimit: 11).run(input: Trail()).state != nil)
    }

    @Test func aCheckpointWithMoreTasksThanTheLimitIsRefused() async throws {
        let checkpoint = Checkpoint(
            step: 1, nextNodes: (0..<11).map { "a#\($0)" }, state: try CompiledGraph<Trail>.encode(Trail()))
        var graph = StateGraph<Trail>()
        graph.addNode("a") { state, _ in state }
        graph.addEdge(from: StateGraph<Trail>.start, to: "a")
        graph.addEdge(from: "a", to: StateGraph<Trail>.end)
        await #expect(
            throws: GraphError.checkpointMismatch(
                "its super-step has 11 tasks, more than this graph's task limit of 10")
        ) {
            _ = try await graph.compile(taskLimit: 10).run(input: Trail(), resumingFrom: checkpoint)
        }
    }
}
