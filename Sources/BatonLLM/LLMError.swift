import BatonHTTPClient

/// Why a model call failed, and whether the workflow's retry policy may try again.
/// Messages carry the provider's own words and never the API key.
public struct LLMError: Error, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case rateLimited = "llm_rate_limited"
        case serverError = "llm_server_error"
        case network = "llm_network"
        case timeout = "llm_timeout"
        case badRequest = "llm_bad_request"
        case unauthorized = "llm_unauthorized"
        case malformedResponse = "llm_malformed_response"
    }

    public var kind: Kind
    public var message: String
    /// HTTP status, when the provider answered.
    public var status: Int?

    public init(kind: Kind, message: String, status: Int?) {
        self.kind = kind
        self.message = message
        self.status = status
    }

    public var isRetryable: Bool {
        switch kind {
        case .rateLimited, .serverError, .network, .timeout: true
        case .badRequest, .unauthorized, .malformedResponse: false
        }
    }

    public var description: String {
        "\(kind.rawValue)" + (status.map { " (HTTP \($0))" } ?? "") + ": \(message)"
    }
}

extension LLMError {
    /// A request that got no HTTP answer.
    init(_ failure: HTTPClientError) {
        self.init(kind: failure.isTimeout ? .timeout : .network, message: failure.reason, status: nil)
    }
}
