/// What `POST /v1/admin/prune` deleted, or would delete (`dryRun`).
public struct PruneReport: Codable, Sendable, Hashable {
    public var dryRun: Bool
    public var workflows: Int
    /// Their history entries.
    public var events: Int
    public var checkpoints: Int
    /// Some of the workflows' ids, oldest first (at most 20).
    public var sample: [String]

    public init(dryRun: Bool, workflows: Int, events: Int, checkpoints: Int, sample: [String]) {
        self.dryRun = dryRun
        self.workflows = workflows
        self.events = events
        self.checkpoints = checkpoints
        self.sample = sample
    }
}
