import BatonContracts
import BatonLLM
import BatonTestSupport
import Foundation
import Testing

@testable import BatonAssistant

/// A model that submits a long task with `areas` (as JSON text), then repeats the tool's answer.
struct SubmittingModel: ChatModel {
    var areas: String

    func complete(_ request: ChatRequest) async throws -> ChatResponse {
        let message: ChatMessage
        if let last = request.messages.last, last.role == .tool {
            message = ChatMessage(role: .assistant, content: last.content)
        } else {
            let arguments = #"{"request": "Why are deliveries late?", "areas": \#(areas)}"#
            message = ChatMessage(
                role: .assistant, content: nil,
                toolCalls: [ToolCall(id: "c1", name: "submit_long_task", arguments: arguments)])
        }
        return ChatResponse(message: message, finishReason: "stop", usage: TokenUsage(), attempts: 1)
    }
}

/// What models and the scheduler hand the assistant is outside data: odd numbers and
/// odd arguments become errors or safe text, never a trap.
@Suite struct AssistantOutsideInputTests {
    @Test func aTaskStatusWithAnImpossiblePercentStillBriefsTheModel() {
        var view = RecordingTasks.view(id: "t-1", status: .running)
        view.progress = ActivityProgress(step: 2, phase: "analyse", percent: .nan, label: "logistics")
        #expect(BusinessAssistant.brief(view)["progress"] == "analyse, logistics")
        view.progress?.percent = 1e20
        #expect(BusinessAssistant.brief(view)["progress"] == "analyse, 100000000000000000000 %, logistics")
        view.progress?.percent = 42.9
        #expect(BusinessAssistant.brief(view)["progress"] == "analyse, 42 %, logistics")
    }

    @Test func aModelReportingMoreTokensThanCanBeCountedIsAnError() async throws {
        let assistant = BusinessAssistant(
            model: SpendingModel(usage: TokenUsage(promptTokens: Int.max)), tasks: RecordingTasks(), caller: "bob")
        #expect(try await assistant.respond(to: "hi") == "ok")
        await #expect(throws: LLMError.self) { _ = try await assistant.respond(to: "hi again") }
    }

    @Test func theAssistantTellsTheModelOfBadAreasInsteadOfSubmitting() async throws {
        let tasks = RecordingTasks()
        let assistant = BusinessAssistant(model: SubmittingModel(areas: #""logistics""#), tasks: tasks, caller: "bob")
        let answer = try await assistant.respond(to: "Please analyse late deliveries")
        #expect(answer.contains("'areas' must be a list of area names"))
        #expect(tasks.submitted.isEmpty)
    }
}
