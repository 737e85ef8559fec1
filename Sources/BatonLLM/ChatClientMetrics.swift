import Metrics

/// What a provider's client counts per HTTP request, below the gateway's per-call
/// counters: one call can take several attempts (a 503 retried four times is one error
/// for the caller but five requests to the provider).
struct ChatClientMetrics: Sendable {
    /// Every HTTP request sent, first tries and retries alike.
    let attempts: Counter
    private let provider: String
    private let factory: any MetricsFactory

    init(provider: String, factory: any MetricsFactory) {
        self.provider = provider
        self.factory = factory
        attempts = Counter(
            label: "baton_llm_http_attempts_total", dimensions: [("provider", provider)], factory: factory)
    }

    /// A retry about to be made, by what made it necessary.
    func retried(after kind: LLMError.Kind) {
        Counter(
            label: "baton_llm_retries_total", dimensions: [("provider", provider), ("kind", kind.rawValue)],
            factory: factory
        ).increment()
    }
}
