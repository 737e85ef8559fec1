import BatonContracts
import Metrics

/// A configured provider as agents use it, shared by all the activities of one worker:
/// at most `concurrency` requests at once, the per-minute request and token budgets,
/// every answer priced with the provider's costs and counted in metrics.
public actor ModelGateway: StreamingChatModel {
    public nonisolated let name: String
    private let client: ChatCompletionClient
    private let configuration: ProviderConfiguration
    private var inFlight = 0
    private var waiting: [(id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextWaiterId = 0
    private var limiter: RateLimiter
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant
    /// The most requests seen in flight at once (for tests and metrics).
    public private(set) var peakInFlight = 0
    private let metrics: GatewayMetrics

    /// `log` gets what the client reports (waits before retries, `Retry-After`s not
    /// honoured), already redacted; `metricsFactory` defaults to the process's `MetricsSystem`.
    public init(
        name: String, configuration: ProviderConfiguration, environment: [String: String],
        log: LLMLogHandler? = nil, metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.name = name
        self.configuration = configuration
        self.client = ChatCompletionClient(
            provider: configuration.provider(name: name, environment: environment), log: log,
            metricsFactory: metricsFactory)
        self.limiter = RateLimiter(
            requestsPerMinute: configuration.requestsPerMinute, tokensPerMinute: configuration.tokensPerMinute)
        self.origin = clock.now
        self.metrics = GatewayMetrics(provider: name, factory: metricsFactory ?? MetricsSystem.factory)
    }

    /// One completion, waiting for a free slot and the rate budget first; `usage.cost` is
    /// filled in. Throws `LLMError`, or `CancellationError` as soon as the task is cancelled
    /// (waiting for a slot or a budget, or with its request in flight).
    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        let span = ChatSpan.start(
            provider: name, model: client.provider.model, baseURL: client.provider.baseURL, streamed: false)
        do {
            let response = try await completeInSlot(request)
            ChatSpan.finish(span, with: response)
            return response
        } catch {
            ChatSpan.finish(span, failedWith: error)
            throw error
        }
    }

    private func completeInSlot(_ request: ChatRequest) async throws -> ChatResponse {
        try await acquire()
        defer { release() }
        try await waitForBudget()
        metrics.requests.increment()
        let began = ContinuousClock.now
        defer { metrics.duration.record(duration: .now - began) }
        do {
            var response = try await client.complete(request)
            response.usage.cost = configuration.cost(of: response.usage)
            limiter.recordTokens(response.usage.promptTokens + response.usage.completionTokens, at: elapsed)
            metrics.record(response.usage)
            return response
        } catch let error as LLMError {
            metrics.failed(error.kind)
            throw error
        }
    }

    /// The provider's `stream` setting.
    public nonisolated var streamsByDefault: Bool { configuration.stream }

    /// `complete`, streamed: the same slot, budgets, pricing and metrics; the text as it
    /// is generated, then the whole answer (see `ChatCompletionClient.stream`). The idle
    /// timeout is at most the provider's request timeout.
    public nonisolated func stream(
        _ request: ChatRequest, idleTimeout: Duration
    ) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        .producing { emit in
            let span = ChatSpan.start(
                provider: self.name, model: self.client.provider.model, baseURL: self.client.provider.baseURL,
                streamed: true)
            do {
                try await self.streamInSlot(request, idleTimeout: idleTimeout) { event in
                    if case .completed(let response) = event { ChatSpan.finish(span, with: response) }
                    emit(event)
                }
            } catch {
                ChatSpan.finish(span, failedWith: error)
                throw error
            }
        }
    }

    private func streamInSlot(
        _ request: ChatRequest, idleTimeout: Duration, emit: @Sendable (ChatStreamEvent) -> Void
    ) async throws {
        try await acquire()
        defer { release() }
        try await waitForBudget()
        metrics.requests.increment()
        let began = ContinuousClock.now
        defer { metrics.duration.record(duration: .now - began) }
        let idle = min(idleTimeout, .milliseconds(Int(configuration.timeoutSeconds * 1000)))
        do {
            for try await event in client.stream(request, idleTimeout: idle) {
                guard case .completed(var response) = event else {
                    emit(event)
                    continue
                }
                response.usage.cost = configuration.cost(of: response.usage)
                limiter.recordTokens(response.usage.promptTokens + response.usage.completionTokens, at: elapsed)
                metrics.record(response.usage)
                emit(.completed(response))
            }
        } catch let error as LLMError {
            metrics.failed(error.kind)
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

    private func acquire() async throws {
        try Task.checkCancellation()
        if inFlight < configuration.concurrency {
            inFlight += 1
        } else {
            nextWaiterId += 1
            let id = nextWaiterId
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { waiting.append((id, $0)) }
            } onCancel: {
                Task { await self.stopWaiting(id) }
            }
        }
        peakInFlight = max(peakInFlight, inFlight)
    }

    /// A cancelled caller leaves the queue at once rather than when a slot frees up.
    private func stopWaiting(_ id: Int) {
        guard let index = waiting.firstIndex(where: { $0.id == id }) else { return }
        waiting.remove(at: index).continuation.resume(throwing: CancellationError())
    }

    private func release() {
        if waiting.isEmpty {
            inFlight -= 1
        } else {
            waiting.removeFirst().continuation.resume()  // the slot passes straight to the next caller
        }
    }
}

/// The KPIs of one provider, exported through swift-metrics.
private struct GatewayMetrics: Sendable {
    let requests: Counter
    /// A call's time with the provider, retries included, waits for a slot or budget not.
    let duration: Metrics.Timer
    let promptTokens: Counter
    let completionTokens: Counter
    let cost: FloatingPointCounter
    let rateLimitWaits: Counter
    private let provider: String
    private let factory: any MetricsFactory

    init(provider: String, factory: any MetricsFactory) {
        self.provider = provider
        self.factory = factory
        requests = Counter(label: "baton_llm_requests_total", dimensions: [("provider", provider)], factory: factory)
        duration = Metrics.Timer(
            label: "baton_llm_request_seconds", dimensions: [("provider", provider)], factory: factory)
        promptTokens = Counter(
            label: "baton_llm_tokens_total", dimensions: [("provider", provider), ("kind", "prompt")],
            factory: factory)
        completionTokens = Counter(
            label: "baton_llm_tokens_total", dimensions: [("provider", provider), ("kind", "completion")],
            factory: factory)
        cost = FloatingPointCounter(
            label: "baton_llm_cost_total", dimensions: [("provider", provider)], factory: factory)
        rateLimitWaits = Counter(
            label: "baton_llm_rate_limit_waits_total", dimensions: [("provider", provider)], factory: factory)
    }

    func record(_ usage: TokenUsage) {
        promptTokens.increment(by: usage.promptTokens)
        completionTokens.increment(by: usage.completionTokens)
        cost.increment(by: usage.cost)
    }

    /// A call that failed for good (after the client's own retries).
    func failed(_ kind: LLMError.Kind) {
        Counter(
            label: "baton_llm_errors_total", dimensions: [("provider", provider), ("kind", kind.rawValue)],
            factory: factory
        ).increment()
    }
}
