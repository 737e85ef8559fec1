/// `retention:` of the scheduler's configuration: how long finished workflows are kept,
/// with their history and checkpoints. Off unless `finished_after_days` (or a tenant's
/// or an agent's entry) says otherwise: deleting people's records is opted into.
public struct RetentionPolicy: Sendable, Codable, Equatable {
    /// Days a finished workflow is kept; nil keeps it for good.
    public var finishedAfterDays: Double?
    /// A tenant's own keeping time (over the default).
    public var tenants: [String: Double]
    /// An agent's own keeping time (over its tenant's and the default).
    public var agents: [String: Double]
    /// Workflows deleted per transaction: small, so that no pass holds locks for long.
    public var batchSize: Int
    /// Seconds between passes of the background pruning (every replica runs one; they
    /// skip each other's rows).
    public var intervalSeconds: Double

    enum CodingKeys: String, CodingKey, CaseIterable {
        case finishedAfterDays = "finished_after_days"
        case tenants, agents
        case batchSize = "batch_size"
        case intervalSeconds = "interval_seconds"
    }

    public init(
        finishedAfterDays: Double? = nil, tenants: [String: Double] = [:], agents: [String: Double] = [:],
        batchSize: Int = 100, intervalSeconds: Double = 60
    ) {
        self.finishedAfterDays = finishedAfterDays
        self.tenants = tenants
        self.agents = agents
        self.batchSize = batchSize
        self.intervalSeconds = intervalSeconds
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RetentionPolicy()
        self.init(
            finishedAfterDays: try c.decodeIfPresent(Double.self, forKey: .finishedAfterDays),
            tenants: try c.decodeIfPresent([String: Double].self, forKey: .tenants) ?? d.tenants,
            agents: try c.decodeIfPresent([String: Double].self, forKey: .agents) ?? d.agents,
            batchSize: try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize,
            intervalSeconds: try c.decodeIfPresent(Double.self, forKey: .intervalSeconds) ?? d.intervalSeconds)
    }

    /// Whether anything is ever deleted.
    public var isEnabled: Bool { finishedAfterDays != nil || !tenants.isEmpty || !agents.isEmpty }

    /// One rule of the policy: workflows it covers are kept `seconds` after they finish.
    struct Rule: Sendable, Equatable {
        enum Scope: Sendable, Equatable {
            case agent(String)
            /// A tenant's workflows whose agent has no rule of its own.
            case tenant(String, exceptAgents: [String])
            /// Every workflow no other rule covers.
            case rest(exceptTenants: [String], exceptAgents: [String])
        }
        var scope: Scope
        var seconds: Double
    }

    /// The rules, most specific first; each workflow falls under exactly one.
    var rules: [Rule] {
        let ruledAgents = agents.keys.sorted()
        let ruledTenants = tenants.keys.sorted()
        var rules = ruledAgents.map { Rule(scope: .agent($0), seconds: agents[$0]! * 86_400) }
        rules += ruledTenants.map {
            Rule(scope: .tenant($0, exceptAgents: ruledAgents), seconds: tenants[$0]! * 86_400)
        }
        if let finishedAfterDays {
            rules.append(
                Rule(
                    scope: .rest(exceptTenants: ruledTenants, exceptAgents: ruledAgents),
                    seconds: finishedAfterDays * 86_400))
        }
        return rules
    }

    func problems() -> [String] {
        var problems: [String] = []
        let days =
            [("finished_after_days", finishedAfterDays)].compactMap { name, value in value.map { (name, $0) } }
            + tenants.sorted { $0.key < $1.key }.map { ("tenants.\($0.key)", $0.value) }
            + agents.sorted { $0.key < $1.key }.map { ("agents.\($0.key)", $0.value) }
        for (name, value) in days where !(value.isFinite && value > 0 && value <= 36_500) {
            problems.append("retention.\(name) must be more than 0 and at most 36500 days, got \(value)")
        }
        if !(1...10_000).contains(batchSize) {
            problems.append("retention.batch_size must be between 1 and 10000, got \(batchSize)")
        }
        if !(intervalSeconds.isFinite && intervalSeconds >= 1 && intervalSeconds <= 86_400) {
            problems.append("retention.interval_seconds must be between 1 and 86400, got \(intervalSeconds)")
        }
        return problems
    }
}
