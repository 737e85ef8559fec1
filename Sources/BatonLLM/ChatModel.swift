/// Something that answers chat requests: a provider's client, a worker's shared
/// gateway to it, or a test double. Agents depend on this, not on a transport.
public protocol ChatModel: Sendable {
    func complete(_ request: ChatRequest) async throws -> ChatResponse
}

extension ChatCompletionClient: ChatModel {}
