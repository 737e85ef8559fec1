import BatonContracts
import BatonHTTPClient
import Foundation
import Metrics

/// Chat completions over libcurl, with retries that honour `Retry-After` up to the
/// provider's `maxRetryAfter`.
///
/// Errors that leave the client are `LLMError`s with the provider's words, secrets
/// redacted, or `CancellationError` when the calling task was cancelled: the HTTP
/// transfer is then aborted within about a second, and no retry follows.
public struct ChatCompletionClient: Sendable {
    public let provider: LLMProvider
    private let log: LLMLogHandler?
    let metrics: ChatClientMetrics
    let redactor: SecretRedactor

    /// `log` gets the waits before retries and the `Retry-After`s not honoured;
    /// `metricsFactory` (default: the process's `MetricsSystem`) counts HTTP attempts
    /// and retries by `provider.name`.
    public init(provider: LLMProvider, log: LLMLogHandler? = nil, metricsFactory: (any MetricsFactory)? = nil) {
        self.provider = provider
        self.log = log
        self.metrics = ChatClientMetrics(provider: provider.name, factory: metricsFactory ?? MetricsSystem.factory)
        self.redactor = SecretRedactor(secrets: [provider.apiKey])
    }

    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        do {
            return try await completeWithRetries(request)
        } catch let error as LLMError {
            throw redactor.redact(error)
        }
    }

    private func completeWithRetries(_ request: ChatRequest) async throws -> ChatResponse {
        let body = try encode(request)
        var attempt = 0
        while true {
            attempt += 1
            let error: LLMError
            let retryAfter: Duration?
            metrics.attempts.increment()
            do {
                let response = try await HTTPClient.send(httpRequest(body: body))
                if (200..<300).contains(response.status) {
                    var parsed = try Self.decode(
                        response.body, acceptsTruncation: request.acceptsTruncatedAnswer, redactor: redactor)
                    parsed.attempts = attempt
                    return parsed
                }
                error = Self.classify(status: response.status, body: response.body, redactor: redactor)
                retryAfter = RetryAfter.parse(response.headers["retry-after"], now: Date())
            } catch let failure as HTTPClientError {
                if failure.isCancelled { throw CancellationError() }
                error = LLMError(failure)
                retryAfter = nil
            }
            try await prepareRetry(after: error, attempt: attempt, retryAfter: retryAfter)
        }
    }

    func httpRequest(body: Data) -> HTTPRequest {
        HTTPRequest(
            method: "POST", url: provider.baseURL + "/v1/chat/completions", headers: headers(), body: body,
            timeout: provider.timeout, connectTimeout: provider.connectTimeout,
            maxResponseBytes: provider.maxResponseBytes)
    }

    /// Returns, after the wait, when `error` of attempt number `attempt` is worth another
    /// attempt; throws it otherwise, or throws why the client will not wait as asked.
    func prepareRetry(after error: LLMError, attempt: Int, retryAfter: Duration?) async throws {
        guard error.isRetryable, attempt <= provider.maxRetries else { throw error }
        let metadata = ["attempt": "\(attempt)", "kind": error.kind.rawValue, "status": error.status.map(String.init)]
            .compactMapValues { $0 }
        if let retryAfter, retryAfter > provider.maxRetryAfter {
            let refusal = LLMError(
                kind: error.kind,
                message:
                    "\(error.message) — the provider asks to wait \(Self.seconds(retryAfter)) before trying again "
                    + "(Retry-After), more than max_retry_after_seconds (\(Self.seconds(provider.maxRetryAfter))) "
                    + "allows; not waiting that long here: the caller's retry policy decides when to ask again, "
                    + "or raise the provider's max_retry_after_seconds",
                status: error.status)
            emit(.warning, refusal.description, metadata: metadata.merging(["wait_seconds": "\(retryAfter)"]) { $1 })
            throw refusal
        }
        let wait = max(retryAfter ?? .zero, backoff(after: attempt))
        metrics.retried(after: error.kind)
        emit(
            .notice,
            "\(error.description); retry \(attempt) of \(provider.maxRetries) in \(Self.seconds(wait))"
                + (retryAfter == nil ? "" : " (the provider's Retry-After)"),
            metadata: metadata.merging(["wait_seconds": "\(wait.secondsValue)"]) { $1 })
        try await Task.sleep(for: wait)
    }

    private static func seconds(_ duration: Duration) -> String {
        String(format: "%.1f s", duration.secondsValue)
    }

    /// Hands `message`, redacted, to the log handler.
    func emit(_ level: LLMLogRecord.Level, _ message: String, metadata: [String: String] = [:]) {
        guard let log else { return }
        log(
            LLMLogRecord(
                level: level, message: redactor.redact(message),
                metadata: metadata.merging(["provider": provider.name]) { $1 }))
    }

    /// Exponential back-off with ±20 % jitter, capped.
    func backoff(after attempt: Int) -> Duration {
        min(provider.maxBackoff, provider.initialBackoff * Double(1 << min(max(attempt - 1, 0), 16)))
            * Double.random(in: 0.8...1.2)
    }

    func headers() -> [String: String] {
        var headers = ["Content-Type": "application/json"]
        if let apiKey = provider.apiKey { headers["Authorization"] = "Bearer \(apiKey)" }
        return headers
    }

    func encode(_ request: ChatRequest, stream: Bool = false) throws(LLMError) -> Data {
        struct Body: Encodable {
            var model: String
            var messages: [ChatMessage]
            var tools: [ToolDefinition]?
            var responseFormat: JSONValue?
            var temperature: Double?
            var stream: Bool?
            var streamOptions: JSONValue?
            enum CodingKeys: String, CodingKey {
                case model, messages, tools, temperature, stream
                case responseFormat = "response_format"
                case streamOptions = "stream_options"
            }
        }
        do {
            return try JSONEncoder().encode(
                Body(
                    model: provider.model, messages: request.messages,
                    tools: request.tools.isEmpty ? nil : request.tools,
                    responseFormat: request.jsonResponse ? ["type": "json_object"] : nil,
                    temperature: request.temperature, stream: stream ? true : nil,
                    streamOptions: stream ? ["include_usage": true] : nil))
        } catch {
            throw LLMError(kind: .badRequest, message: "the request cannot be encoded: \(error)", status: nil)
        }
    }

    static func decode(
        _ data: Data, acceptsTruncation: Bool = false, redactor: SecretRedactor = SecretRedactor(secrets: [])
    ) throws(LLMError) -> ChatResponse {
        struct Body: Decodable {
            struct Choice: Decodable {
                var message: ChatMessage
                var finish_reason: String?
            }
            var choices: [Choice]
            /// Read leniently: odd counts must not cost a good answer, nor trap the worker.
            var usage: JSONValue?
        }
        let body: Body
        do {
            // Baton's own reader: linear and depth-bounded, whatever a model server sends.
            body = try JSONValueCoding.decode(Body.self, from: JSONValue.parse(data, limits: .message))
        } catch {
            let excerpt = redactor.excerpt(data, limit: 200)
            throw LLMError(
                kind: .malformedResponse, message: "the provider's answer is not a chat completion: \(excerpt)",
                status: nil)
        }
        guard let choice = body.choices.first else {
            throw LLMError(kind: .malformedResponse, message: "the provider's answer has no choices", status: nil)
        }
        let usage = tokenUsage(body.usage)
        if choice.finish_reason == "length" && !acceptsTruncation { throw truncated(usage) }
        return ChatResponse(message: choice.message, finishReason: choice.finish_reason, usage: usage, attempts: 1)
    }

    /// The `usage` object of a completion or of a streamed event.
    static func tokenUsage(_ counts: JSONValue?) -> TokenUsage {
        TokenUsage(
            promptTokens: TokenCount.from(counts?["prompt_tokens"]?.numberValue),
            completionTokens: TokenCount.from(counts?["completion_tokens"]?.numberValue), calls: 1)
    }

    static func truncated(_ usage: TokenUsage) -> LLMError {
        LLMError(
            kind: .truncated,
            message:
                "the answer was cut at the model's output token limit (finish_reason \"length\", "
                + "\(usage.completionTokens) completion tokens) and is incomplete; ask for a shorter answer, "
                + "raise the model's token limit, or set acceptsTruncatedAnswer on the request to take cut answers",
            status: nil)
    }

    /// The provider's own error message (`{"error": {"message": …}}`) with the status's meaning.
    static func classify(
        status: Int, body: Data, redactor: SecretRedactor = SecretRedactor(secrets: [])
    ) -> LLMError {
        // The provider's words, but not a whole page of them in every event and log line.
        let message: String
        if let words = (try? JSONValue.parse(body, limits: .message))?["error"]?["message"]?.stringValue {
            message = String(redactor.redact(words).prefix(1000))
        } else {
            message = redactor.excerpt(body, limit: 300)
        }
        let kind: LLMError.Kind =
            switch status {
            case 429: .rateLimited
            case 401, 403: .unauthorized
            case 408: .timeout
            case 500...599: .serverError
            default: .badRequest
            }
        return LLMError(kind: kind, message: message.isEmpty ? "no message" : message, status: status)
    }
}
