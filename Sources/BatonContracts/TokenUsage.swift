/// Tokens and money spent on model calls.
public struct TokenUsage: Sendable, Hashable, Codable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var cost: Double

    public init(promptTokens: Int = 0, completionTokens: Int = 0, cost: Double = 0) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cost = cost
    }

    public static func + (lhs: TokenUsage, rhs: TokenUsage) -> TokenUsage {
        TokenUsage(
            promptTokens: lhs.promptTokens + rhs.promptTokens,
            completionTokens: lhs.completionTokens + rhs.completionTokens, cost: lhs.cost + rhs.cost)
    }
}
