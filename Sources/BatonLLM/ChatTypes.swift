import BatonContracts

/// One message of a chat, in the OpenAI chat-completions shape.
public struct ChatMessage: Sendable, Hashable, Codable {
    public enum Role: String, Sendable, Hashable, Codable {
        case system, user, assistant, tool
    }

    public var role: Role
    public var content: String?
    public var toolCalls: [ToolCall]?
    /// For `tool` messages: the call this message answers.
    public var toolCallId: String?

    public init(role: Role, content: String?, toolCalls: [ToolCall]? = nil, toolCallId: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallId = toolCallId
    }

    public static func system(_ text: String) -> ChatMessage { ChatMessage(role: .system, content: text) }
    public static func user(_ text: String) -> ChatMessage { ChatMessage(role: .user, content: text) }

    enum CodingKeys: String, CodingKey {
        case role, content
        case toolCalls = "tool_calls"
        case toolCallId = "tool_call_id"
    }
}

/// A function the model asked to call.
public struct ToolCall: Sendable, Hashable, Codable {
    public struct Function: Sendable, Hashable, Codable {
        public var name: String
        /// JSON text, as the model wrote it.
        public var arguments: String

        public init(name: String, arguments: String) {
            self.name = name
            self.arguments = arguments
        }

        /// The arguments as JSON; `null` when the model wrote something else (the tool
        /// then answers that an argument is missing, which the model can act on).
        public var parsedArguments: JSONValue { JSONValue(parsing: arguments) ?? .null }
    }

    public var id: String
    public var type: String
    public var function: Function

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.type = "function"
        self.function = Function(name: name, arguments: arguments)
    }
}

/// A tool the model may call, described by a JSON Schema of its parameters.
public struct ToolDefinition: Sendable, Hashable, Encodable {
    public var name: String
    public var description: String
    public var parameters: JSONValue

    public init(name: String, description: String, parameters: JSONValue) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }

    public func encode(to encoder: any Encoder) throws {
        try JSONValue.object([
            "type": "function",
            "function": ["name": .string(name), "description": .string(description), "parameters": parameters],
        ]).encode(to: encoder)
    }
}

/// What to ask the model.
public struct ChatRequest: Sendable, Hashable {
    public var messages: [ChatMessage]
    public var tools: [ToolDefinition]
    /// Ask for a JSON object as the answer (`response_format: json_object`).
    public var jsonResponse: Bool
    public var temperature: Double?
    /// Take an answer cut by the model's token limit (`finishReason == "length"`) as it is.
    /// By default such an answer is an `LLMError` of kind `.truncated`: a cut JSON object or
    /// a cut list read as complete does more harm than a clear failure.
    public var acceptsTruncatedAnswer: Bool

    public init(
        messages: [ChatMessage], tools: [ToolDefinition] = [], jsonResponse: Bool = false, temperature: Double? = nil,
        acceptsTruncatedAnswer: Bool = false
    ) {
        self.messages = messages
        self.tools = tools
        self.jsonResponse = jsonResponse
        self.temperature = temperature
        self.acceptsTruncatedAnswer = acceptsTruncatedAnswer
    }
}

/// The model's answer; Codable so that a node can journal it.
public struct ChatResponse: Sendable, Hashable, Codable {
    public var message: ChatMessage
    public var finishReason: String?
    public var usage: TokenUsage
    /// Requests made to get it (1 plus retries).
    public var attempts: Int

    public init(message: ChatMessage, finishReason: String?, usage: TokenUsage, attempts: Int) {
        self.message = message
        self.finishReason = finishReason
        self.usage = usage
        self.attempts = attempts
    }

    /// The answer's text, empty when it holds only tool calls.
    public var text: String { message.content ?? "" }
}
