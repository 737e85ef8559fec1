/// Something that answers chat requests: a provider's client, a worker's shared
/// gateway to it, or a test double. Agents depend on this, not on a transport.
public protocol ChatModel: Sendable {
    func complete(_ request: ChatRequest) async throws -> ChatResponse
}

/// A model that can also stream its answer as it is generated.
public protocol StreamingChatModel: ChatModel {
    func stream(_ request: ChatRequest, idleTimeout: Duration) -> AsyncThrowingStream<ChatStreamEvent, any Error>
    /// Whether agents' calls should stream (a configuration may turn it off).
    var streamsByDefault: Bool { get }
}

extension StreamingChatModel {
    public var streamsByDefault: Bool { true }
}

extension ChatCompletionClient: StreamingChatModel {}
