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
    /// are assembled into the final `ChatResponse`.
    ///
    /// The stream either ends with one `.completed` — only once the server said the answer
    /// is whole (a `finish_reason`, or `data: [DONE]`) — or throws. A stream that simply
    /// stops is an `LLMError` of kind `.incompleteStream`, never a short answer.
    ///
    /// Failures before any `.delta` was delivered are retried like `complete` (tool-call
    /// pieces are not delivered, so a cut tool call is retried too). After a `.delta`, a
    /// failure ends the stream with `afterPartialOutput` set and `isRetryable` false: the
    /// deltas received are an unfinished answer, and a silent retry would show their text
    /// twice. Cancelling the consuming task aborts the transfer; the stream then throws
    /// `CancellationError` (or just ends, as any cancelled `AsyncThrowingStream` may).
    public func stream(
        _ request: ChatRequest, idleTimeout: Duration = .seconds(60)
    )
        -> AsyncThrowingStream<ChatStreamEvent, any Error>
    {
        let redactor = redactor
        return .producing(mapError: { error in (error as? LLMError).map { redactor.redact($0) } ?? error }) { emit in
            try await runStream(request, idleTimeout: idleTimeout, emit: emit)
        }
    }

    private func runStream(
        _ request: ChatRequest, idleTimeout: Duration, emit: @Sendable (ChatStreamEvent) -> Void
    ) async throws {
        let body = try encode(request, stream: true)
        var delivered = false
        var attempt = 0
        while true {
            attempt += 1
            var answer = StreamedAnswer(maxEventBytes: provider.maxEventBytes, redactor: redactor)
            var status = 0
            var retryAfter: Duration?
            var errorBody = Data()
            var failure: LLMError
            metrics.attempts.increment()
            do {
                reading: for try await part in HTTPClient.stream(httpRequest(body: body), idleTimeout: idleTimeout) {
                    switch part {
                    case .head(let code, let headers):
                        status = code
                        retryAfter = RetryAfter.parse(headers["retry-after"], now: Date())
                    case .chunk(let data) where !(200..<300).contains(status):
                        errorBody.append(data)
                    case .chunk(let data):
                        for piece in try answer.feed(data, status: status) {
                            delivered = true
                            emit(.delta(piece))
                        }
                        if answer.sawDone { break reading }
                    }
                }
                try Task.checkCancellation()
                if (200..<300).contains(status) {
                    if answer.isComplete {
                        if answer.finishReason == "length" && !request.acceptsTruncatedAnswer {
                            failure = Self.truncated(answer.usage)
                        } else {
                            emit(.completed(answer.response(attempts: attempt)))
                            return
                        }
                    } else {
                        failure = answer.incompleteError(delivered: delivered, status: status)
                    }
                } else {
                    failure = Self.classify(status: status, body: errorBody, redactor: redactor)
                }
            } catch let error as LLMError {
                failure = error
            } catch let error as HTTPClientError {
                if error.isCancelled { throw CancellationError() }
                failure = LLMError(error)
            }
            failure.afterPartialOutput = delivered
            try await prepareRetry(after: failure, attempt: attempt, retryAfter: retryAfter)
        }
    }
}

/// One attempt's answer as its events arrive: text, tool-call pieces, finish reason, usage.
private struct StreamedAnswer {
    private var events: ServerSentEvents
    private(set) var text = ""
    private var toolCalls = StreamedToolCalls()
    private(set) var finishReason: String?
    private(set) var sawDone = false
    private(set) var usage = TokenUsage(calls: 1)
    /// Applied to an excerpt before it is cut: a key cut in half is no longer recognised.
    private let redactor: SecretRedactor

    init(maxEventBytes: Int, redactor: SecretRedactor) {
        events = ServerSentEvents(maxLineBytes: maxEventBytes)
        self.redactor = redactor
    }

    /// The protocol's own end: a finish reason (the usage event may follow it) or `[DONE]`.
    var isComplete: Bool { finishReason != nil || sawDone }

    /// Takes in a chunk of the body; returns the text pieces to hand over.
    mutating func feed(_ data: Data, status: Int) throws(LLMError) -> [String] {
        var pieces: [String] = []
        for payload in try events.feed(data) {
            if payload == "[DONE]" {
                sawDone = true
                break
            }
            guard let event = JSONValue(parsing: payload) else {
                throw LLMError(
                    kind: .malformedResponse,
                    message: "a streamed event is not JSON: \(redactor.redact(payload).prefix(200))",
                    status: status)
            }
            let choice = event["choices"]?.arrayValue?.first
            if let piece = choice?["delta"]?["content"]?.stringValue, !piece.isEmpty {
                text += piece
                pieces.append(piece)
            }
            for piece in choice?["delta"]?["tool_calls"]?.arrayValue ?? [] { toolCalls.add(piece) }
            if let reason = choice?["finish_reason"]?.stringValue { finishReason = reason }
            if let counts = event["usage"], counts != .null { usage = ChatCompletionClient.tokenUsage(counts) }
        }
        return pieces
    }

    func response(attempts: Int) -> ChatResponse {
        ChatResponse(
            message: ChatMessage(
                role: .assistant, content: text.isEmpty && !toolCalls.isEmpty ? nil : text,
                toolCalls: toolCalls.isEmpty ? nil : toolCalls.assembled),
            finishReason: finishReason, usage: usage, attempts: attempts)
    }

    func incompleteError(delivered: Bool, status: Int) -> LLMError {
        var message =
            "the stream ended before the model finished its answer (no finish_reason and no data: [DONE]); "
            + "the server or a proxy between cut it"
        if delivered {
            message += "; the \(text.count) characters already delivered are an unfinished answer"
        } else if !toolCalls.isEmpty {
            message += "; \(toolCalls.count) tool call(s) had begun and were dropped, none was run"
        }
        return LLMError(kind: .incompleteStream, message: message, status: status, afterPartialOutput: delivered)
    }
}

/// Tool calls as OpenAI streams them: by index, the id and name once, the arguments'
/// JSON text in pieces to concatenate.
struct StreamedToolCalls {
    private var calls: [Int: (id: String, name: String, arguments: String)] = [:]

    var isEmpty: Bool { calls.isEmpty }
    var count: Int { calls.count }

    mutating func add(_ piece: JSONValue) {
        let index = TokenCount.from(piece["index"]?.numberValue)
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
