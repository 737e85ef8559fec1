/// Why a request got no (whole) HTTP response. Carries libcurl's own message.
public struct HTTPClientError: Error, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Connecting, sending or receiving failed (libcurl's message says how).
        case transport
        /// The request ran out of time (connect, total or idle-stream limit).
        case timeout
        /// The calling task was cancelled (or the stream's consumer went away): the
        /// transfer was aborted, the server may or may not have acted on the request.
        case cancelled
        /// The response (head and body, or a whole stream) grew past `limit` bytes and
        /// was abandoned there rather than held in memory.
        case responseTooLarge(limit: Int)
    }

    public var url: String
    public var reason: String
    public var kind: Kind

    public init(url: String, reason: String, kind: Kind = .transport) {
        self.url = url
        self.reason = reason
        self.kind = kind
    }

    public var isTimeout: Bool { kind == .timeout }
    public var isCancelled: Bool { kind == .cancelled }

    public var description: String { "request to \(url) failed: \(reason)" }
}
