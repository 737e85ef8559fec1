/// Something the client tells its operator while it works: a wait before a retry, a
/// `Retry-After` it would not honour. BatonLLM does not log by itself; whoever builds a
/// client or a gateway passes an `LLMLogHandler` (the worker hands them to its swift-log
/// `Logger`, `baton chat` prints them on standard error). Messages are already redacted.
public struct LLMLogRecord: Sendable, Hashable {
    public enum Level: String, Sendable, Hashable {
        case info, notice, warning
    }

    public var level: Level
    public var message: String
    /// `provider`, `attempt`, `wait_seconds`, `kind`, `status` when they apply.
    public var metadata: [String: String]

    public init(level: Level, message: String, metadata: [String: String] = [:]) {
        self.level = level
        self.message = message
        self.metadata = metadata
    }
}

public typealias LLMLogHandler = @Sendable (LLMLogRecord) -> Void
