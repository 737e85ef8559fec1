import BatonContracts
import BatonHTTPClient
import Foundation

/// Where a model lives and how to call it. OpenAI, Mistral, Ollama, vLLM and llama.cpp
/// servers all speak this API; switching is a matter of `baseURL` and `model`.
public struct LLMProvider: Sendable, Hashable {
    public var baseURL: String
    public var model: String
    /// The API key itself (read from the environment variable the configuration names);
    /// sent as a bearer token, never logged.
    public var apiKey: String?
    public var timeout: Duration
    public var connectTimeout: Duration
    /// Retries on 429, 5xx, timeouts and network errors (not on other 4xx).
    public var maxRetries: Int
    public var initialBackoff: Duration
    public var maxBackoff: Duration

    public init(
        baseURL: String, model: String, apiKey: String? = nil, timeout: Duration = .seconds(120),
        connectTimeout: Duration = .seconds(10), maxRetries: Int = 4, initialBackoff: Duration = .milliseconds(500),
        maxBackoff: Duration = .seconds(30)
    ) {
        self.connectTimeout = connectTimeout
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.model = model
        self.apiKey = apiKey
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
    }
}

/// Chat completions over libcurl, with retries that honour `Retry-After`.
public struct ChatCompletionClient: Sendable {
    public let provider: LLMProvider

    public init(provider: LLMProvider) {
        self.provider = provider
    }

    public func complete(_ request: ChatRequest) async throws(LLMError) -> ChatResponse {
        let body = try encode(request)
        var attempt = 0
        while true {
            attempt += 1
            let error: LLMError
            let retryAfter: Duration?
            do {
                let response = try await HTTPClient.send(
                    HTTPRequest(
                        method: "POST", url: provider.baseURL + "/v1/chat/completions", headers: headers(), body: body,
                        timeout: provider.timeout, connectTimeout: provider.connectTimeout))
                if (200..<300).contains(response.status) {
                    var parsed = try Self.decode(response.body)
                    parsed.attempts = attempt
                    return parsed
                }
                error = Self.classify(status: response.status, body: response.body)
                retryAfter = response.headers["retry-after"].flatMap(Double.init).map { .milliseconds(Int($0 * 1000)) }
            } catch let failure as HTTPClientError {
                error = LLMError(failure)
                retryAfter = nil
            } catch let failure as LLMError {
                throw failure
            } catch {
                throw LLMError(kind: .network, message: "\(error)", status: nil)
            }
            guard error.isRetryable, attempt <= provider.maxRetries else { throw error }
            do {
                try await Task.sleep(for: max(retryAfter ?? .zero, backoff(after: attempt)))
            } catch {
                throw LLMError(kind: .network, message: "cancelled while waiting to retry", status: nil)
            }
        }
    }

    /// Exponential back-off with ±20 % jitter, capped.
    func backoff(after attempt: Int) -> Duration {
        min(provider.maxBackoff, provider.initialBackoff * Double(1 << min(attempt - 1, 16)))
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

    static func decode(_ data: Data) throws(LLMError) -> ChatResponse {
        struct Body: Decodable {
            struct Choice: Decodable {
                var message: ChatMessage
                var finish_reason: String?
            }
            struct Usage: Decodable {
                var prompt_tokens: Int?
                var completion_tokens: Int?
            }
            var choices: [Choice]
            var usage: Usage?
        }
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: data)
        } catch {
            let excerpt = String(decoding: data.prefix(200), as: UTF8.self)
            throw LLMError(
                kind: .malformedResponse, message: "the provider's answer is not a chat completion: \(excerpt)",
                status: nil)
        }
        guard let choice = body.choices.first else {
            throw LLMError(kind: .malformedResponse, message: "the provider's answer has no choices", status: nil)
        }
        return ChatResponse(
            message: choice.message, finishReason: choice.finish_reason,
            usage: TokenUsage(
                promptTokens: body.usage?.prompt_tokens ?? 0, completionTokens: body.usage?.completion_tokens ?? 0,
                calls: 1),
            attempts: 1)
    }

    /// The provider's own error message (`{"error": {"message": …}}`) with the status's meaning.
    static func classify(status: Int, body: Data) -> LLMError {
        let message =
            (try? JSONDecoder().decode(JSONValue.self, from: body))?["error"]?["message"]?.stringValue
            ?? String(decoding: body.prefix(300), as: UTF8.self)
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
