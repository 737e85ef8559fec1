/// What a running attempt sends the API for its workflow: it may submit the
/// workflow's children and read them (`bl_<lease token>_<workflow id>`).
///
/// The lease token is the attempt's secret, made by the scheduler at dispatch and known
/// only to it and to the worker running the attempt, so no other key is needed: the
/// scheduler checks the token on use against the workflow as it is then, and an
/// attempt that is no longer current (a zombie) or a workflow that ended has nothing
/// left to delegate.
public struct DelegationToken: Sendable, Hashable, CustomStringConvertible {
    public let workflowId: String
    public let leaseToken: String

    public init(workflowId: String, leaseToken: String) {
        self.workflowId = workflowId
        self.leaseToken = leaseToken
    }

    /// Nil for anything that is not a delegation token.
    public init?(parsing text: String) {
        let parts = text.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "bl", !parts[1].isEmpty, !parts[2].isEmpty else { return nil }
        self.init(workflowId: String(parts[2]), leaseToken: String(parts[1]))
    }

    public var text: String { "bl_\(leaseToken)_\(workflowId)" }

    /// Never the lease token.
    public var description: String { "delegation token of workflow \(workflowId)" }
}
