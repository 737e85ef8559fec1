/// How the daemons write their log (`log_format`, `BATON_LOG_FORMAT`).
public enum LogFormat: String, Sendable, CaseIterable, Codable {
    /// `time level label : key=value message`, swift-log's `StreamLogHandler` layout.
    case text
    /// One JSON object per line: `time`, `level`, `label`, `message` and the metadata.
    case json
    /// `time=… level=… label=… message="…" key=value`, for Loki, Heroku and the like.
    case logfmt
}
