import BatonContracts
import BatonGraph
import BatonLLM
import BatonTestSupport
import Foundation
import Testing

@testable import BatonAgents

/// Answers come from any model server, statuses and checkpoints from the scheduler:
/// numbers that stopped the process (1e20, NaN, counts that overflow) are now errors
/// or safe text.
@Suite struct OutsideNumbersTests {
    @Test func aReportWithAnImpossibleBacklogStillRenders() {
        let analyses = [
            AreaAnalysis(area: "huge", risk: "low", summary: ""), AreaAnalysis(area: "nan", risk: "low", summary: ""),
        ]
        let report = OperationsReport(
            request: "r", requestedBy: nil, summary: "s", analyses: analyses,
            evidence: [
                "huge": AreaEvidence(kpis: ["backlog": 1e20], incidents: []),
                "nan": AreaEvidence(kpis: ["backlog": .number(.nan)], incidents: []),
            ])
        #expect(report.markdown.contains("| huge | low | – | – | 100000000000000000000 | 0 |"))
        #expect(report.markdown.contains("| nan | low | – | – | – | 0 |"))
    }

    /// A state for one `converse` node.
    struct Talk: GraphState {
        var answer: String?
    }

    /// Replayed answers come from the checkpoint's journal: their counts are summed too.
    @Test func aConversationReplayedWithCountsThatOverflowIsAnError() async throws {
        var graph = StateGraph<Talk>()
        graph.addNode("talk") { state, context in
            let conversation = try await context.converse(
                [.user("hi")], tools: [], using: SpendingModel(usage: TokenUsage()), execute: { _ in "done" })
            return Talk(answer: conversation.answer)
        }
        graph.addEdge(from: StateGraph<Talk>.start, to: "talk")
        graph.addEdge(from: "talk", to: StateGraph<Talk>.end)
        let half = TokenUsage(promptTokens: 1 << 62)
        let toolRound = ChatResponse(
            message: ChatMessage(
                role: .assistant, content: nil, toolCalls: [ToolCall(id: "c1", name: "t", arguments: "{}")]),
            finishReason: "tool_calls", usage: half, attempts: 1)
        let answer = ChatResponse(
            message: ChatMessage(role: .assistant, content: "ok"), finishReason: "stop", usage: half, attempts: 1)
        let checkpoint = Checkpoint(
            step: 3, superstep: 0, nextNodes: ["talk"], state: [:],
            journal: [
                "talk": [
                    "llm#0": try JSONValueCoding.encode(toolRound), "tool#0": "done",
                    "llm#1": try JSONValueCoding.encode(answer),
                ]
            ])
        await #expect(throws: GraphError.usageOverflow(node: "talk")) {
            _ = try await graph.compile().run(input: Talk(), resumingFrom: checkpoint)
        }
    }
}
