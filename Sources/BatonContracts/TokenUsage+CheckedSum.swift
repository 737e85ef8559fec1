extension TokenUsage {
    /// `self + other`, or nil when a count overflows. Counts come from model servers and
    /// from checkpoints, so they may be any `Int`, and `+` would stop the process.
    public func adding(_ other: TokenUsage) -> TokenUsage? {
        let (prompt, promptOverflow) = promptTokens.addingReportingOverflow(other.promptTokens)
        let (completion, completionOverflow) = completionTokens.addingReportingOverflow(other.completionTokens)
        let (count, countOverflow) = calls.addingReportingOverflow(other.calls)
        if promptOverflow || completionOverflow || countOverflow { return nil }
        return TokenUsage(promptTokens: prompt, completionTokens: completion, cost: cost + other.cost, calls: count)
    }
}
