/// Tokens and money spent on model calls, and how many calls.
public struct TokenUsage: Sendable, Hashable, Codable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var cost: Double
    /// Model answers received (a retried request counts once).
    public var calls: Int

    public init(promptTokens: Int = 0, completionTokens: Int = 0, cost: Double = 0, calls: Int = 0) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cost = cost
        self.calls = calls
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        promptTokens = try c.decode(.promptTokens, default: 0)
        completionTokens = try c.decode(.completionTokens, default: 0)
        cost = try c.decode(.cost, default: 0)
        calls = try c.decode(.calls, default: 0)
    }

    /// Sums saturate: counts come from workers and model servers, and a sum of absurd
    /// counts must not trap the scheduler that totals them.
    public static func + (lhs: TokenUsage, rhs: TokenUsage) -> TokenUsage {
        func sum(_ a: Int, _ b: Int) -> Int {
            let (value, overflow) = a.addingReportingOverflow(b)
            return overflow ? (b > 0 ? Int.max : Int.min) : value
        }
        return TokenUsage(
            promptTokens: sum(lhs.promptTokens, rhs.promptTokens),
            completionTokens: sum(lhs.completionTokens, rhs.completionTokens), cost: lhs.cost + rhs.cost,
            calls: sum(lhs.calls, rhs.calls))
    }
}

/// A workflow's model spending: the total and the share of each graph node.
public struct UsageSummary: Sendable, Hashable, Codable {
    public var total: TokenUsage
    public var byNode: [String: TokenUsage]

    public init(byNode: [String: TokenUsage]) {
        self.byNode = byNode
        self.total = byNode.values.reduce(TokenUsage(), +)
    }
}
