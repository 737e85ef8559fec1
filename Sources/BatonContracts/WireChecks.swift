/// Numbers a peer on the broker sends that the types alone would accept: a negative
/// checkpoint step (stored, then refused by the graph at every resume), negative usage
/// (summed into a tenant's spending), a percent of 250, a limit of 0 bytes (failing every
/// event of the attempt). Checked where a message is read, not where a stored row is:
/// rows written before a check existed still read. The schemas in docs/contracts say the
/// same ranges.
enum WireChecks {
    static func check(_ checkpoint: Checkpoint) throws(ContractError) {
        guard checkpoint.step >= 0, checkpoint.superstep >= 0, (checkpoint.parentStep ?? 0) >= 0 else {
            throw .malformed("a checkpoint's step, superstep and parentStep must be 0 or more")
        }
        for (node, usage) in checkpoint.usage ?? [:] { try check(usage, of: node) }
        for child in (checkpoint.children ?? [:]).values { try check(child) }
    }

    /// Worker ids are logged, stored and compared: 1 to 256 characters, none a control.
    static func check(workerId: String) throws(ContractError) {
        guard !workerId.isEmpty, workerId.count <= 256,
            !workerId.unicodeScalars.contains(where: Identifiers.isControlOrFormat)
        else { throw .malformed("workerId must be 1 to 256 characters without control characters") }
    }

    static func check(_ usage: TokenUsage, of node: String) throws(ContractError) {
        guard usage.promptTokens >= 0, usage.completionTokens >= 0, usage.calls >= 0,
            usage.cost.isFinite, usage.cost >= 0
        else { throw .malformed("the usage of node '\(node)' must be counts and a cost of 0 or more") }
    }

    static func check(_ progress: ActivityProgress) throws(ContractError) {
        guard progress.step >= 0 else { throw .malformed("progress step must be 0 or more, got \(progress.step)") }
        if let percent = progress.percent, !(0...100).contains(percent) {
            throw .malformed("progress percent must be between 0 and 100, got \(percent)")
        }
    }

    static func check(_ limits: ActivityLimits) throws(ContractError) {
        let range = 1024...ContractVersion.maximumMessageBytes
        for (name, value) in [
            ("maxCheckpointBytes", limits.maxCheckpointBytes), ("maxResultBytes", limits.maxResultBytes),
            ("maxInterruptBytes", limits.maxInterruptBytes),
        ] where !range.contains(value) {
            throw .malformed("limits.\(name) must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
    }
}
