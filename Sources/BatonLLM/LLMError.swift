import BatonHTTPClient

/// Why a model call failed, and whether the workflow's retry policy may try again.
/// Messages carry the provider's own words, with the API key and anything shaped like
/// a bearer token or an `sk-…` key redacted (see `SecretRedactor`).
public struct LLMError: Error, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case rateLimited = "llm_rate_limited"
        case serverError = "llm_server_error"
        case network = "llm_network"
        case timeout = "llm_timeout"
        case badRequest = "llm_bad_request"
        case unauthorized = "llm_unauthorized"
        case malformedResponse = "llm_malformed_response"
        /// A streamed answer ended before the protocol said it was complete (no
        /// `finish_reason` and no `data: [DONE]`): a proxy or the server cut it.
        case incompleteStream = "llm_incomplete_stream"
        /// The answer was cut by the model's token limit (`finish_reason: "length"`);
        /// asking again the same way gives the same cut answer.
        case truncated = "llm_truncated"
        /// The answer grew past the provider's `max_response_bytes` (or one streamed
        /// event past its limit) and was abandoned there.
        case responseTooLarge = "llm_response_too_large"

        /// Whether the same request may succeed later.
        public var isTransient: Bool {
            switch self {
            case .rateLimited, .serverError, .network, .timeout, .incompleteStream: true
            case .badRequest, .unauthorized, .malformedResponse, .truncated, .responseTooLarge: false
            }
        }
    }

    public var kind: Kind
    public var message: String
    /// HTTP status, when the provider answered.
    public var status: Int?
    /// A streamed call failed after some of its text was already handed to the caller
    /// (`ChatStreamEvent.delta`). That text is an unfinished answer, and the error is not
    /// retryable: asking again would show the caller the same text a second time. A
    /// caller that can withdraw what it showed may still decide to ask again.
    public var afterPartialOutput: Bool

    public init(kind: Kind, message: String, status: Int?, afterPartialOutput: Bool = false) {
        self.kind = kind
        self.message = message
        self.status = status
        self.afterPartialOutput = afterPartialOutput
    }

    public var isRetryable: Bool { kind.isTransient && !afterPartialOutput }

    public var description: String {
        "\(kind.rawValue)" + (status.map { " (HTTP \($0))" } ?? "") + ": \(message)"
    }
}

extension LLMError {
    /// A request that got no (whole) HTTP answer; not for a cancelled one (that is a
    /// `CancellationError`).
    init(_ failure: HTTPClientError) {
        switch failure.kind {
        case .timeout:
            self.init(kind: .timeout, message: failure.reason, status: nil)
        case .responseTooLarge(let limit):
            self.init(
                kind: .responseTooLarge,
                message:
                    "the provider's answer exceeded max_response_bytes (\(limit) bytes) and was abandoned; "
                    + "raise the provider's max_response_bytes if answers this large are expected",
                status: nil)
        case .transport, .cancelled:
            self.init(kind: .network, message: failure.reason, status: nil)
        }
    }
}
