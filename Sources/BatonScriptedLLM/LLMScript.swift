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
///   {"match": "cut", "stream_cut_after": 2, "reply": {"content": "a b c d"}},
///   {"match": "long", "finish_reason": "length", "reply": {"content": "half an ans"}},
///   {"match": "huge", "content_repeat": 100000, "reply": {"content": "word "}},
///   {"match": "leak", "status": 401, "echo_authorization": true},
///   {"match": "park", "status": 503, "retry_after_header": "86400"},
///   {"match": "trickle", "event_interval_ms": 1000, "reply": {"content": "one two three"}},
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
///
/// Faults for the client's tests: `stream_cut_after` ends a streamed answer after that
/// many events, cleanly but without its finish reason and `[DONE]` (a cutting proxy);
/// `finish_reason` replaces the natural one (`"length"`: cut by the token limit);
/// `content_repeat` repeats the reply's content (a huge answer); `echo_authorization`
/// puts the request's `Authorization` header into a `status` error's message (a leaky
/// proxy); `retry_after_header` sends that text as `Retry-After`; `event_interval_ms`
/// paces streamed events (default 5).
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
        public var streamCutAfter: Int?
        public var finishReason: String?
        public var contentRepeat: Int?
        public var echoAuthorization: Bool?
        public var retryAfterHeader: String?
        public var eventIntervalMs: Int?

        enum CodingKeys: String, CodingKey {
            case match, times, status, reply
            case lastRole = "last_role"
            case retryAfter = "retry_after"
            case delayMs = "delay_ms"
            case rawBody = "raw_body"
            case streamCutAfter = "stream_cut_after"
            case finishReason = "finish_reason"
            case contentRepeat = "content_repeat"
            case echoAuthorization = "echo_authorization"
            case retryAfterHeader = "retry_after_header"
            case eventIntervalMs = "event_interval_ms"
        }

        public init(
            match: String? = nil, lastRole: String? = nil, times: Int? = nil, status: Int? = nil,
            retryAfter: Double? = nil, delayMs: Int? = nil, rawBody: String? = nil, reply: Reply? = nil,
            streamCutAfter: Int? = nil, finishReason: String? = nil, contentRepeat: Int? = nil,
            echoAuthorization: Bool? = nil, retryAfterHeader: String? = nil, eventIntervalMs: Int? = nil
        ) {
            self.streamCutAfter = streamCutAfter
            self.finishReason = finishReason
            self.contentRepeat = contentRepeat
            self.echoAuthorization = echoAuthorization
            self.retryAfterHeader = retryAfterHeader
            self.eventIntervalMs = eventIntervalMs
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
