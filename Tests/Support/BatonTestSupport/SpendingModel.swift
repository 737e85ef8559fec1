import BatonContracts
import BatonLLM

/// A model server that answers anything with `usage` tokens spent.
public struct SpendingModel: ChatModel {
    public var usage: TokenUsage

    public init(usage: TokenUsage) { self.usage = usage }

    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        ChatResponse(
            message: ChatMessage(role: .assistant, content: "ok"), finishReason: "stop", usage: usage, attempts: 1)
    }
}
