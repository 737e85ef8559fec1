import BatonContracts
import BatonHTTPClient
import Foundation

/// What a streamed completion delivers: text as it is generated, then the whole answer.
public enum ChatStreamEvent: Sendable, Hashable {
    case delta(String)
    case completed(ChatResponse)
}

extension ChatCompletionClient {
    /// Streams the answer's text (server-sent events); tool calls arrive in pieces and
    /// are assembled into the final `ChatResponse`. Failures before anything arrived
    /// are retried like `complete`; after that, they end the stream (a partial answer
    /// cannot be resumed).
    public func stream(
        _ request: ChatRequest, idleTimeout: Duration = .seconds(60)
    )
        -> AsyncThrowingStream<ChatStreamEvent, any Error>
    {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await runStream(request, idleTimeout: idleTimeout) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func runStream(
        _ request: ChatRequest, idleTimeout: Duration, emit: @Sendable (ChatStreamEvent) -> Void
    ) async throws {
        let body = try encode(request, stream: true)
        var attempt = 0
        while true {
            attempt += 1
            var parser = ServerSentEvents()
            var status = 0
            var retryAfter: Duration?
            var errorBody = Data()
            var text = ""
            var toolCalls = StreamedToolCalls()
            var finishReason: String?
            var usage = TokenUsage(calls: 1)
            let failure: LLMError
            do {
                for try await part in HTTPClient.stream(
                    HTTPRequest(
                        method: "POST", url: provider.baseURL + "/v1/chat/completions", headers: headers(), body: body,
                        timeout: provider.timeout, connectTimeout: provider.connectTimeout), idleTimeout: idleTimeout)
                {
                    switch part {
                    case .head(let code, let headers):
                        status = code
                        retryAfter = headers["retry-after"].flatMap(Double.init).map { .milliseconds(Int($0 * 1000)) }
                    case .chunk(let data) where !(200..<300).contains(status):
                        errorBody.append(data)
                    case .chunk(let data):
                        for payload in parser.feed(data) where payload != "[DONE]" {
                            guard let event = try? JSONDecoder().decode(JSONValue.self, from: Data(payload.utf8)) else {
                                throw LLMError(
                                    kind: .malformedResponse,
                                    message: "a streamed event is not JSON: \(payload.prefix(200))",
                                    status: status)
                            }
                            let choice = event["choices"]?.arrayValue?.first
                            if let piece = choice?["delta"]?["content"]?.stringValue, !piece.isEmpty {
                                text += piece
                                emit(.delta(piece))
                            }
                            for piece in choice?["delta"]?["tool_calls"]?.arrayValue ?? [] { toolCalls.add(piece) }
                            if let reason = choice?["finish_reason"]?.stringValue { finishReason = reason }
                            if let counts = event["usage"] {
                                usage = TokenUsage(
                                    promptTokens: Int(counts["prompt_tokens"]?.numberValue ?? 0),
                                    completionTokens: Int(counts["completion_tokens"]?.numberValue ?? 0), calls: 1)
                            }
                        }
                    }
                }
                if (200..<300).contains(status) {
                    emit(
                        .completed(
                            ChatResponse(
                                message: ChatMessage(
                                    role: .assistant, content: text.isEmpty && !toolCalls.isEmpty ? nil : text,
                                    toolCalls: toolCalls.isEmpty ? nil : toolCalls.assembled),
                                finishReason: finishReason,
                                usage: usage, attempts: attempt)))
                    return
                }
                failure = Self.classify(status: status, body: errorBody)
            } catch let error as LLMError {
                throw error
            } catch let error as HTTPClientError {
                failure = LLMError(error)
            }
            guard failure.isRetryable, text.isEmpty, toolCalls.isEmpty, attempt <= provider.maxRetries else {
                throw failure
            }
            try await Task.sleep(for: max(retryAfter ?? .zero, backoff(after: attempt)))
        }
    }
}

/// Tool calls as OpenAI streams them: by index, the id and name once, the arguments'
/// JSON text in pieces to concatenate.
struct StreamedToolCalls {
    private var calls: [Int: (id: String, name: String, arguments: String)] = [:]

    var isEmpty: Bool { calls.isEmpty }

    mutating func add(_ piece: JSONValue) {
        let index = Int(piece["index"]?.numberValue ?? 0)
        var call = calls[index] ?? ("", "", "")
        if let id = piece["id"]?.stringValue { call.id = id }
        if let name = piece["function"]?["name"]?.stringValue { call.name += name }
        if let arguments = piece["function"]?["arguments"]?.stringValue { call.arguments += arguments }
        calls[index] = call
    }

    var assembled: [ToolCall] {
        calls.sorted { $0.key < $1.key }.map {
            ToolCall(id: $0.value.id, name: $0.value.name, arguments: $0.value.arguments)
        }
    }
}

/// Splits a server-sent event stream into the payloads of its `data:` lines.
struct ServerSentEvents {
    private var buffer = Data()

    mutating func feed(_ data: Data) -> [String] {
        buffer.append(data)
        var payloads: [String] = []
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
            buffer.removeSubrange(buffer.startIndex...newline)
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.hasPrefix("data:") {
                payloads.append(String(trimmed.dropFirst(5)).trimmingCharacters(in: .whitespaces))
            }
        }
        return payloads
    }
}
