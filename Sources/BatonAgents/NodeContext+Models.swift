import BatonContracts
import BatonGraph
import BatonLLM

extension NodeContext {
    /// One model call that a resumed node never repeats: the answer is journaled in a
    /// checkpoint, with its tokens and cost counted to this node, before this returns.
    ///
    /// A model that streams (the worker's gateway does, unless its provider says
    /// `stream: false`) streams: its text reaches the run's live viewers as it is
    /// generated (`GraphEvent.text`).
    public func complete(
        _ request: ChatRequest, using model: any ChatModel, as name: String = "llm"
    ) async throws -> ChatResponse {
        guard let streaming = model as? any StreamingChatModel, streaming.streamsByDefault else {
            return try await call(name, usage: \.usage) { try await model.complete(request) }
        }
        return try await call(name, usage: \.usage) { text in
            try await Self.streamed(request, from: streaming, to: text)
        }
    }

    /// How often a stream cut after it showed text is begun again before its error stands.
    static let streamRestarts = 2

    /// A streamed answer, its text shown as it comes. A stream cut after it showed some
    /// text fails as not retryable in the client (a chat would show that text twice);
    /// here the text was only shown, never kept, so the call begins again and tells the
    /// viewers to drop what they saw — a cut stream costs a worker no attempt.
    static func streamed(
        _ request: ChatRequest, from model: any StreamingChatModel, to text: TextStream
    ) async throws -> ChatResponse {
        var restarts = 0
        var restarted = false
        while true {
            do {
                for try await event in model.stream(request, idleTimeout: .seconds(120)) {
                    switch event {
                    case .delta(let piece):
                        await text.send(piece, restarted: restarted)
                        restarted = false
                    case .completed(let response):
                        if restarted { await text.send("", restarted: true) }  // began again, and showed nothing
                        return response
                    }
                }
                try Task.checkCancellation()
                throw LLMError(kind: .incompleteStream, message: "the stream ended without an answer", status: nil)
            } catch let error as LLMError
                where error.afterPartialOutput && error.kind.isTransient && restarts < streamRestarts
            {
                restarts += 1
                restarted = true
            }
        }
    }

    /// A tool-using exchange: asks the model, runs the tools it calls with `execute`,
    /// gives it the results, until it answers in text or `maxRounds` answers came back.
    /// Every model answer and every tool result is journaled, so a resumed node replays
    /// the exchange instead of calling the model or the tools again.
    public func converse(
        _ messages: [ChatMessage], tools: [ToolDefinition], using model: any ChatModel, maxRounds: Int = 6,
        execute: (ToolCall) async throws -> String
    ) async throws -> Conversation {
        var conversation = Conversation(messages: messages)
        for _ in 0..<max(maxRounds, 0) {
            let response = try await complete(ChatRequest(messages: conversation.messages, tools: tools), using: model)
            conversation.messages.append(response.message)
            // A replayed answer's usage comes from the checkpoint's journal, not checked on the way in.
            guard let usage = conversation.usage.adding(response.usage) else {
                throw GraphError.usageOverflow(node: node)
            }
            conversation.usage = usage
            guard let calls = response.message.toolCalls, !calls.isEmpty else {
                conversation.answer = response.text
                return conversation
            }
            for toolCall in calls {
                let result = try await call("tool") { try await execute(toolCall) }
                conversation.toolCalls.append(toolCall)
                conversation.messages.append(ChatMessage(role: .tool, content: result, toolCallId: toolCall.id))
            }
        }
        return conversation
    }
}

/// The messages of a tool-using exchange, the tools called, and the final answer
/// (nil when the model was still calling tools after the last round).
public struct Conversation: Sendable, Hashable {
    public var messages: [ChatMessage]
    public var toolCalls: [ToolCall] = []
    public var answer: String?
    public var usage = TokenUsage()
}
