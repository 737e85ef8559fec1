/// Where a model lives and how to call it. OpenAI, Mistral, Ollama, vLLM and llama.cpp
/// servers all speak this API; switching is a matter of `baseURL` and `model`.
public struct LLMProvider: Sendable, Hashable {
    public var baseURL: String
    public var model: String
    /// The API key itself (read from the environment variable the configuration names);
    /// sent as a bearer token, never logged, redacted from every error text.
    public var apiKey: String?
    public var timeout: Duration
    public var connectTimeout: Duration
    /// Retries on 429, 5xx, timeouts, network errors and cut streams (not on other 4xx).
    public var maxRetries: Int
    public var initialBackoff: Duration
    public var maxBackoff: Duration
    /// The provider's name in the configuration: the `provider` of metrics and log records.
    public var name: String
    /// The longest `Retry-After` the client honours. A provider asking for more gets no
    /// silent wait: the call fails with a retryable error that says so, and the caller's
    /// own policy (the workflow's retry back-off) decides when to ask again.
    public var maxRetryAfter: Duration
    /// The most bytes of one answer, streamed or not (see `HTTPRequest.maxResponseBytes`).
    public var maxResponseBytes: Int
    /// The most bytes of one server-sent event line of a streamed answer.
    public var maxEventBytes: Int

    public static let defaultMaxResponseBytes = 8 * 1024 * 1024
    public static let defaultMaxEventBytes = 1024 * 1024

    public init(
        baseURL: String, model: String, apiKey: String? = nil, timeout: Duration = .seconds(120),
        connectTimeout: Duration = .seconds(10), maxRetries: Int = 4, initialBackoff: Duration = .milliseconds(500),
        maxBackoff: Duration = .seconds(30), name: String = "default", maxRetryAfter: Duration = .seconds(60),
        maxResponseBytes: Int = LLMProvider.defaultMaxResponseBytes,
        maxEventBytes: Int = LLMProvider.defaultMaxEventBytes
    ) {
        self.connectTimeout = connectTimeout
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.model = model
        self.apiKey = apiKey
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.name = name
        self.maxRetryAfter = maxRetryAfter
        self.maxResponseBytes = maxResponseBytes
        self.maxEventBytes = maxEventBytes
    }
}
