import BatonContracts
import Metrics

/// A configured provider as agents use it, shared by all the activities of one worker:
/// at most `concurrency` requests at once, the per-minute request and token budgets,
/// every answer priced with the provider's costs and counted in metrics.
public actor ModelGateway: ChatModel {
    public nonisolated let name: String
    private let client: ChatCompletionClient
    private let configuration: ProviderConfiguration
    private var inFlight = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var limiter: RateLimiter
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant
    /// The most requests seen in flight at once (for tests and metrics).
    public private(set) var peakInFlight = 0
    private let metrics: GatewayMetrics

    public init(name: String, configuration: ProviderConfiguration, environment: [String: String]) {
        self.name = name
        self.configuration = configuration
        self.client = ChatCompletionClient(provider: configuration.provider(environment: environment))
        self.limiter = RateLimiter(
            requestsPerMinute: configuration.requestsPerMinute, tokensPerMinute: configuration.tokensPerMinute)
        self.origin = clock.now
        self.metrics = GatewayMetrics(provider: name)
    }

    /// One completion, waiting for a free slot and the rate budget first; `usage.cost` is filled in.
    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        await acquire()
        defer { release() }
        try await waitForBudget()
        metrics.requests.increment()
        do {
            var response = try await client.complete(request)
            response.usage.cost = configuration.cost(of: response.usage)
            limiter.recordTokens(response.usage.promptTokens + response.usage.completionTokens, at: elapsed)
            metrics.record(response.usage)
            return response
        } catch {
            let kind = error.kind.rawValue
            Counter(label: "baton_llm_errors_total", dimensions: [("provider", name), ("kind", kind)]).increment()
            throw error
        }
    }

    private var elapsed: Double {
        let duration = origin.duration(to: clock.now)
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    private func waitForBudget() async throws {
        while true {
            let delay = limiter.delay(at: elapsed)
            if delay <= 0 { break }
            metrics.rateLimitWaits.increment()
            try await Task.sleep(for: .milliseconds(Int((delay * 1000).rounded(.up))))
        }
        limiter.recordRequest(at: elapsed)
    }

    private func acquire() async {
        if inFlight < configuration.concurrency {
            inFlight += 1
        } else {
            await withCheckedContinuation { waiting.append($0) }
        }
        peakInFlight = max(peakInFlight, inFlight)
    }

    private func release() {
        if waiting.isEmpty {
            inFlight -= 1
        } else {
            waiting.removeFirst().resume()  // the slot passes straight to the next caller
        }
    }
}

/// The KPIs of one provider, exported through swift-metrics.
private struct GatewayMetrics: Sendable {
    let requests: Counter
    let promptTokens: Counter
    let completionTokens: Counter
    let cost: FloatingPointCounter
    let rateLimitWaits: Counter

    init(provider: String) {
        requests = Counter(label: "baton_llm_requests_total", dimensions: [("provider", provider)])
        promptTokens = Counter(
            label: "baton_llm_tokens_total", dimensions: [("provider", provider), ("kind", "prompt")])
        completionTokens = Counter(
            label: "baton_llm_tokens_total", dimensions: [("provider", provider), ("kind", "completion")])
        cost = FloatingPointCounter(label: "baton_llm_cost_total", dimensions: [("provider", provider)])
        rateLimitWaits = Counter(label: "baton_llm_rate_limit_waits_total", dimensions: [("provider", provider)])
    }

    func record(_ usage: TokenUsage) {
        promptTokens.increment(by: usage.promptTokens)
        completionTokens.increment(by: usage.completionTokens)
        cost.increment(by: usage.cost)
    }
}
