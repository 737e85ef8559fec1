import BatonContracts

/// A scripted model for tests and demos — not a model. Each request is answered by the
/// first rule whose `match` is in the last user message (or that has no `match`) and
/// that has uses left.
///
/// ```json
/// {"rules": [
///   {"match": "weather", "times": 1, "status": 429, "retry_after": 1},
///   {"match": "weather", "reply": {"content": "sunny"}},
///   {"match": "look up", "reply": {"tool_calls": [{"name": "lookup", "arguments": {"q": "x"}}]}},
///   {"match": "slow", "delay_ms": 3000, "reply": {"content": "late"}},
///   {"match": "broken", "raw_body": "this is not JSON"},
///   {"match": "GATHER:", "last_role": "user", "reply": {"tool_calls": [{"name": "get_kpis", "arguments": {"area": "sales"}}]}},
///   {"match": "GATHER:", "last_role": "tool", "reply": {"content": "Gathered: {{tool_result.area}}"}},
///   {"reply": {"content": "default answer"}}
/// ]}
/// ```
///
/// `last_role` restricts a rule to requests whose last message has that role (`user`,
/// or `tool` after a tool call), which is how a script plays a tool-calling exchange.
/// In a reply, `{{tool_result}}` stands for the last tool message and
/// `{{tool_result.key}}` for one of its top-level JSON fields.
public struct LLMScript: Sendable, Codable {
    public struct Rule: Sendable, Codable {
        public var match: String?
        /// Only when the request's last message has this role.
        public var lastRole: String?
        /// Uses before the rule is skipped; unlimited when absent.
        public var times: Int?
        /// Answer with this HTTP status (an error body) instead of a completion.
        public var status: Int?
        /// Seconds, sent as `Retry-After` with a `status`.
        public var retryAfter: Double?
        public var delayMs: Int?
        /// Answer exactly these bytes with status 200.
        public var rawBody: String?
        public var reply: Reply?

        enum CodingKeys: String, CodingKey {
            case match, times, status, reply
            case lastRole = "last_role"
            case retryAfter = "retry_after"
            case delayMs = "delay_ms"
            case rawBody = "raw_body"
        }

        public init(
            match: String? = nil, lastRole: String? = nil, times: Int? = nil, status: Int? = nil,
            retryAfter: Double? = nil, delayMs: Int? = nil, rawBody: String? = nil, reply: Reply? = nil
        ) {
            self.match = match
            self.lastRole = lastRole
            self.times = times
            self.status = status
            self.retryAfter = retryAfter
            self.delayMs = delayMs
            self.rawBody = rawBody
            self.reply = reply
        }
    }

    public struct Reply: Sendable, Codable {
        public var content: String?
        public var toolCalls: [ScriptedToolCall]?

        enum CodingKeys: String, CodingKey {
            case content
            case toolCalls = "tool_calls"
        }

        public init(content: String? = nil, toolCalls: [ScriptedToolCall]? = nil) {
            self.content = content
            self.toolCalls = toolCalls
        }
    }

    public struct ScriptedToolCall: Sendable, Codable {
        public var name: String
        public var arguments: JSONValue

        public init(name: String, arguments: JSONValue) {
            self.name = name
            self.arguments = arguments
        }
    }

    public var rules: [Rule]

    public init(rules: [Rule]) { self.rules = rules }
}
