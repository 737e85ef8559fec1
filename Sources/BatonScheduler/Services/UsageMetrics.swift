import BatonContracts
import Metrics

/// Model spending of finished workflows by agent, as Prometheus KPIs on `/metrics`.
enum UsageMetrics {
    static func record(_ usage: TokenUsage, agent: String) {
        Counter(label: "baton_workflow_tokens_total", dimensions: [("agent", agent), ("kind", "prompt")])
            .increment(by: usage.promptTokens)
        Counter(label: "baton_workflow_tokens_total", dimensions: [("agent", agent), ("kind", "completion")])
            .increment(by: usage.completionTokens)
        FloatingPointCounter(label: "baton_workflow_cost_total", dimensions: [("agent", agent)])
            .increment(by: usage.cost)
    }
}
