/// `log_level` and `log_format`, which both daemons take (BATON_LOG_LEVEL,
/// BATON_LOG_FORMAT), checked the same way in both.
public enum LogSettings {
    public static let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
    /// `BatonObservability.LogFormat`'s cases.
    public static let formats = ["text", "json", "logfmt"]

    /// Adds a problem for each setting that is not one of its values.
    public static func check(level: String, format: String, into validator: inout ConfigurationValidator) {
        validator.require(
            levels.contains(level), "log_level must be one of \(levels.joined(separator: ", ")), got '\(level)'")
        validator.require(
            formats.contains(format), "log_format must be one of \(formats.joined(separator: ", ")), got '\(format)'")
    }
}
