import BatonContracts
import Foundation

/// One model provider as configured in YAML (`providers:` of the worker):
///
/// ```yaml
/// providers:
///   default:
///     base_url: https://api.openai.com      # or Mistral, Ollama, vLLM, llama.cpp, baton-scripted-llm
///     model: gpt-4o-mini
///     api_key_env: OPENAI_API_KEY            # the key stays in the environment,
///     # api_key_file: /run/secrets/openai    # or in a mounted secret (api_key: …, in this file, is not advised)
///     timeout_seconds: 120                   # a whole request
///     connect_timeout_seconds: 10
///     max_retries: 4
///     max_retry_after_seconds: 60            # the longest Retry-After honoured; longer fails (retryable)
///     max_response_bytes: 8388608            # the most bytes of one answer, streamed or not
///     concurrency: 8                         # requests at once, shared by the worker's activities
///     requests_per_minute: 500               # optional budgets, also per worker
///     tokens_per_minute: 200000
///     cost_per_1k_prompt_tokens: 0.00015
///     cost_per_1k_completion_tokens: 0.0006
///     stream: true                           # agents' calls stream their text to live viewers
/// ```
public struct ProviderConfiguration: Sendable, Hashable, Codable {
    public var baseURL: String
    public var model: String
    public var apiKeyEnv: String?
    /// A file that holds the key (a mounted secret), read at start.
    public var apiKeyFile: String?
    /// The key itself, written in the file: prefer `api_key_env` or `api_key_file`.
    public var apiKey: String?
    public var timeoutSeconds: Double
    public var connectTimeoutSeconds: Double
    public var maxRetries: Int
    /// The longest `Retry-After` the client waits; asked for longer, the call fails
    /// (retryable) and says so, rather than parking the activity.
    public var maxRetryAfterSeconds: Double
    /// The most bytes of one answer, streamed or not: a server cannot exhaust the
    /// worker's memory with an endless body.
    public var maxResponseBytes: Int
    public var concurrency: Int
    public var requestsPerMinute: Int?
    public var tokensPerMinute: Int?
    public var costPer1KPromptTokens: Double
    public var costPer1KCompletionTokens: Double
    /// Agents' calls stream (their text reaches the run's live viewers); off for a
    /// provider whose streams are unreliable or that sends no usage in them.
    public var stream: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model
        case baseURL = "base_url"
        case apiKeyEnv = "api_key_env"
        case apiKey = "api_key"
        case apiKeyFile = "api_key_file"
        case timeoutSeconds = "timeout_seconds"
        case connectTimeoutSeconds = "connect_timeout_seconds"
        case maxRetries = "max_retries"
        case maxRetryAfterSeconds = "max_retry_after_seconds"
        case maxResponseBytes = "max_response_bytes"
        case concurrency
        case requestsPerMinute = "requests_per_minute"
        case tokensPerMinute = "tokens_per_minute"
        case costPer1KPromptTokens = "cost_per_1k_prompt_tokens"
        case costPer1KCompletionTokens = "cost_per_1k_completion_tokens"
        case stream
    }

    public init(
        baseURL: String, model: String, apiKeyEnv: String? = nil, apiKey: String? = nil, timeoutSeconds: Double = 120,
        connectTimeoutSeconds: Double = 10, maxRetries: Int = 4, maxRetryAfterSeconds: Double = 60,
        maxResponseBytes: Int = LLMProvider.defaultMaxResponseBytes, concurrency: Int = 8,
        requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil,
        costPer1KPromptTokens: Double = 0, costPer1KCompletionTokens: Double = 0, stream: Bool = true
    ) {
        self.stream = stream
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        self.baseURL = baseURL
        self.model = model
        self.apiKeyEnv = apiKeyEnv
        self.apiKey = apiKey
        self.timeoutSeconds = timeoutSeconds
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.maxRetries = maxRetries
        self.maxRetryAfterSeconds = maxRetryAfterSeconds
        self.maxResponseBytes = maxResponseBytes
        self.concurrency = concurrency
        self.costPer1KPromptTokens = costPer1KPromptTokens
        self.costPer1KCompletionTokens = costPer1KCompletionTokens
    }

    public init(from decoder: any Decoder) throws {
        let d = ProviderConfiguration(baseURL: "", model: "")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        baseURL = try c.decode(String.self, forKey: .baseURL)
        model = try c.decode(String.self, forKey: .model)
        apiKeyEnv = try c.decodeIfPresent(String.self, forKey: .apiKeyEnv)
        apiKey = try c.decodeIfPresent(String.self, forKey: .apiKey)
        apiKeyFile = try c.decodeIfPresent(String.self, forKey: .apiKeyFile)
        timeoutSeconds = try c.decode(.timeoutSeconds, default: d.timeoutSeconds)
        connectTimeoutSeconds = try c.decode(.connectTimeoutSeconds, default: d.connectTimeoutSeconds)
        maxRetries = try c.decode(.maxRetries, default: d.maxRetries)
        maxRetryAfterSeconds = try c.decode(.maxRetryAfterSeconds, default: d.maxRetryAfterSeconds)
        maxResponseBytes = try c.decode(.maxResponseBytes, default: d.maxResponseBytes)
        concurrency = try c.decode(.concurrency, default: d.concurrency)
        requestsPerMinute = try c.decodeIfPresent(Int.self, forKey: .requestsPerMinute)
        tokensPerMinute = try c.decodeIfPresent(Int.self, forKey: .tokensPerMinute)
        costPer1KPromptTokens = try c.decode(.costPer1KPromptTokens, default: d.costPer1KPromptTokens)
        costPer1KCompletionTokens = try c.decode(.costPer1KCompletionTokens, default: d.costPer1KCompletionTokens)
        stream = try c.decode(.stream, default: d.stream)
    }

    /// Every problem with this provider named `name`, for the start-up report.
    public func problems(name: String, environment: [String: String]) -> [String] {
        var problems: [String] = []
        if !(baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://")) {
            problems.append("providers.\(name).base_url must start with http:// or https://, got '\(baseURL)'")
        }
        if model.isEmpty { problems.append("providers.\(name).model must not be empty") }
        if let apiKeyEnv, (environment[apiKeyEnv] ?? "").isEmpty {
            problems.append("providers.\(name).api_key_env names \(apiKeyEnv), which is not set in the environment")
        }
        if [apiKey, apiKeyEnv, apiKeyFile].compactMap(\.self).count > 1 {
            problems.append("providers.\(name): give one of api_key_env, api_key_file and api_key")
        }
        if let apiKeyFile, Self.key(inFile: apiKeyFile) == nil {
            problems.append(
                "providers.\(name).api_key_file '\(apiKeyFile)' cannot be read or is empty; mount the secret there")
        }
        if !(timeoutSeconds > 0 && timeoutSeconds <= Self.longestTimeoutSeconds) {
            problems.append(
                "providers.\(name).timeout_seconds must be positive and at most \(Int(Self.longestTimeoutSeconds))")
        }
        if !(connectTimeoutSeconds > 0 && connectTimeoutSeconds <= Self.longestTimeoutSeconds) {
            problems.append(
                "providers.\(name).connect_timeout_seconds must be positive and at most "
                    + "\(Int(Self.longestTimeoutSeconds))")
        }
        if !(0...20).contains(maxRetries) { problems.append("providers.\(name).max_retries must be between 0 and 20") }
        if !(0...Self.longestRetryAfterSeconds).contains(maxRetryAfterSeconds) {
            problems.append(
                "providers.\(name).max_retry_after_seconds must be between 0 and \(Int(Self.longestRetryAfterSeconds)) "
                    + "(longer waits belong to the workflow's retry policy, not to a parked request)")
        }
        if !Self.responseByteRange.contains(maxResponseBytes) {
            problems.append(
                "providers.\(name).max_response_bytes must be between \(Self.responseByteRange.lowerBound) and "
                    + "\(Self.responseByteRange.upperBound) (default \(LLMProvider.defaultMaxResponseBytes), 8 MiB)")
        }
        if !(1...1000).contains(concurrency) {
            problems.append("providers.\(name).concurrency must be between 1 and 1000")
        }
        if let requestsPerMinute, requestsPerMinute < 1 {
            problems.append("providers.\(name).requests_per_minute must be 1 or more (leave it out for no limit)")
        }
        if let tokensPerMinute, tokensPerMinute < 1 {
            problems.append("providers.\(name).tokens_per_minute must be 1 or more (leave it out for no limit)")
        }
        if costPer1KPromptTokens < 0 || costPer1KCompletionTokens < 0 {
            problems.append("providers.\(name) costs must not be negative")
        }
        return problems
    }

    static let longestTimeoutSeconds = 86_400.0
    static let longestRetryAfterSeconds = 3_600.0
    static let responseByteRange = 1024...(1 << 30)

    /// The client-side view of the provider called `name`, with the key read from the environment.
    public func provider(name: String = "default", environment: [String: String]) -> LLMProvider {
        LLMProvider(
            baseURL: baseURL, model: model,
            apiKey: apiKeyEnv.flatMap { environment[$0] } ?? apiKeyFile.flatMap(Self.key(inFile:)) ?? apiKey,
            timeout: Self.duration(seconds: timeoutSeconds, longest: Self.longestTimeoutSeconds),
            connectTimeout: Self.duration(seconds: connectTimeoutSeconds, longest: Self.longestTimeoutSeconds),
            maxRetries: maxRetries, name: name,
            maxRetryAfter: Self.duration(seconds: maxRetryAfterSeconds, longest: Self.longestRetryAfterSeconds),
            maxResponseBytes: min(
                max(maxResponseBytes, Self.responseByteRange.lowerBound),
                Self.responseByteRange.upperBound))
    }

    /// The file's text without its final line break; nil when unreadable or empty.
    private static func key(inFile path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let key = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return key.isEmpty ? nil : key
    }

    /// Clamped, so that a value `problems` would report cannot trap the conversion.
    private static func duration(seconds: Double, longest: Double) -> Duration {
        seconds.isNaN ? .zero : .seconds(min(max(seconds, 0), longest))
    }

    /// What `usage` cost at this provider's prices.
    public func cost(of usage: TokenUsage) -> Double {
        Double(usage.promptTokens) / 1000 * costPer1KPromptTokens
            + Double(usage.completionTokens) / 1000 * costPer1KCompletionTokens
    }
}

extension ProviderConfiguration: CustomStringConvertible, CustomDebugStringConvertible {
    /// Never prints `api_key`: configurations end up in logs.
    public var description: String {
        "ProviderConfiguration(base_url: \(baseURL), model: \(model), api_key_env: \(apiKeyEnv ?? "-"), "
            + "api_key_file: \(apiKeyFile ?? "-"), "
            + "api_key: \(apiKey == nil ? "-" : "<redacted>"), concurrency: \(concurrency))"
    }

    public var debugDescription: String { description }
}

extension ProviderConfiguration {
    /// The keys a provider's block in the worker's YAML may have.
    public static var yamlKeys: [String] { CodingKeys.allCases.map(\.rawValue) }
}
