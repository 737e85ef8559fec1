import BatonContracts
import BatonLLM
import Foundation

/// The interactive business agent: chats with one person and, for work that takes
/// longer than a chat turn, uses two tools: submit a long task and read a task's
/// status. Both go through `TaskDelegate`, so the assistant knows nothing of the
/// scheduler; the person's identity travels with every task it submits.
///
/// It keeps the conversation in memory: it is the part a person talks to, not a
/// durable workflow; the long work it starts is.
public actor BusinessAssistant {
    private let model: any ChatModel
    private let tasks: any TaskDelegate
    private let caller: String
    private var messages: [ChatMessage]
    /// Tasks submitted in this conversation, oldest first.
    public private(set) var submitted: [String] = []
    public private(set) var usage = TokenUsage()

    public static let longTaskAgents = ["operations_analysis", "reviewed_analysis"]

    public init(model: any ChatModel, tasks: any TaskDelegate, caller: String) {
        self.model = model
        self.tasks = tasks
        self.caller = caller
        self.messages = [
            .system(
                "You are a business assistant talking with \(caller). Answer short questions yourself. "
                    + "For an operational analysis, which takes minutes, call submit_long_task and tell the person the task id; "
                    + "use reviewed_analysis when they want to approve the scope and the findings themselves. "
                    + "When asked how a task is going, call get_task_status.")
        ]
    }

    static let tools = [
        ToolDefinition(
            name: "submit_long_task", description: "Start a long operational analysis; returns the task id at once.",
            parameters: [
                "type": "object", "required": ["request"],
                "properties": [
                    "request": ["type": "string", "description": "What the analysis must answer."],
                    "agent": ["type": "string", "enum": .array(longTaskAgents.map { .string($0) })],
                    "areas": ["type": "array", "items": ["type": "string"]],
                ],
            ]),
        ToolDefinition(
            name: "get_task_status", description: "Status, progress and result of a task started before.",
            parameters: [
                "type": "object", "required": ["task_id"], "properties": ["task_id": ["type": "string"]],
            ]),
    ]

    /// One turn: the person's message in, the assistant's answer out, after any tool calls.
    /// With `onText`, a model that can stream hands over the answer's text as it comes.
    public func respond(
        to text: String, maxToolRounds: Int = 4, onText: (@Sendable (String) -> Void)? = nil
    ) async throws -> String {
        messages.append(.user(text))
        for _ in 0...max(maxToolRounds, 0) {
            let response = try await ask(ChatRequest(messages: messages, tools: Self.tools), onText: onText)
            guard let total = usage.adding(response.usage) else {
                throw LLMError(
                    kind: .malformedResponse, message: "the model reported more tokens than can be counted",
                    status: nil)
            }
            usage = total
            messages.append(response.message)
            guard let calls = response.message.toolCalls, !calls.isEmpty else { return response.text }
            for call in calls {
                let result = await execute(call)
                messages.append(ChatMessage(role: .tool, content: result, toolCallId: call.id))
            }
        }
        return "I could not finish this within \(maxToolRounds) tool calls; please rephrase or ask again."
    }

    private func ask(_ request: ChatRequest, onText: (@Sendable (String) -> Void)?) async throws -> ChatResponse {
        guard let onText, let streaming = model as? any StreamingChatModel else {
            return try await model.complete(request)
        }
        for try await event in streaming.stream(request, idleTimeout: .seconds(60)) {
            switch event {
            case .delta(let piece): onText(piece)
            case .completed(let response): return response
            }
        }
        throw LLMError(kind: .malformedResponse, message: "the stream ended without an answer", status: nil)
    }

    /// What the model needs to know of a task: the gist, not the whole report.
    static func brief(_ view: WorkflowView) -> JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(view.id), "agent": .string(view.agent), "status": .string(view.status.rawValue),
        ]
        if let progress = view.progress {
            fields["progress"] = .string(
                [progress.phase, progress.percent?.wholeNumberText.map { "\($0) %" }, progress.label].compactMap { $0 }
                    .joined(separator: ", "))
        }
        if let summary = view.result?["report"]?["summary"] { fields["summary"] = summary }
        if let error = view.error { fields["error"] = .string(error.message) }
        return .object(fields)
    }

    /// Runs one tool call; failures go back to the model as text, so it can tell the person.
    private func execute(_ call: ToolCall) async -> String {
        let arguments = call.function.parsedArguments
        do {
            switch call.function.name {
            case "submit_long_task":
                guard let request = arguments["request"]?.stringValue, !request.isEmpty else {
                    return #"{"error": "the argument 'request' is required"}"#
                }
                let agent = arguments["agent"]?.stringValue ?? "operations_analysis"
                guard Self.longTaskAgents.contains(agent) else {
                    return #"{"error": "unknown agent '\#(agent)'; use operations_analysis or reviewed_analysis"}"#
                }
                var input: [String: JSONValue] = ["request": .string(request)]
                // The shape is checked here, so that the model hears of it and can fix it;
                // the agent checks the names when it runs.
                if let areas = arguments["areas"], areas != .null {
                    guard let names = areas.arrayValue, names.allSatisfy({ $0.stringValue?.isEmpty == false }) else {
                        return #"{"error": "'areas' must be a list of area names, such as [\"logistics\"]"}"#
                    }
                    input["areas"] = .array(names)
                }
                let view = try await tasks.submit(
                    SubmitWorkflowRequest(
                        id: "chat-\(UUID().uuidString.prefix(13).lowercased())", agent: agent, input: .object(input)))
                submitted.append(view.id)
                return Self.brief(view).compactText
            case "get_task_status":
                guard let id = arguments["task_id"]?.stringValue else {
                    return #"{"error": "the argument 'task_id' is required"}"#
                }
                // The person's own tasks only: a model talked into asking for another id
                // learns nothing of it, not even that it exists.
                let view = try? await tasks.status(of: id)
                guard let view, view.caller == caller || submitted.contains(id) else {
                    return JSONValue.object(["error": .string("you have no task with id '\(id)'")]).compactText
                }
                return Self.brief(view).compactText
            default:
                return #"{"error": "unknown tool '\#(call.function.name)'"}"#
            }
        } catch {
            return JSONValue.object(["error": .string("\(error)")]).compactText
        }
    }
}
