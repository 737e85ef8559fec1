import BatonContracts

/// A configured provider as agents use it: at most `concurrency` requests at once for
/// all the activities of one worker, and every answer priced with the provider's costs.
public actor ModelGateway {
    public nonisolated let name: String
    private let client: ChatCompletionClient
    private let configuration: ProviderConfiguration
    private var inFlight = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    /// The most requests seen in flight at once (for tests and metrics).
    public private(set) var peakInFlight = 0

    public init(name: String, configuration: ProviderConfiguration, environment: [String: String]) {
        self.name = name
        self.configuration = configuration
        self.client = ChatCompletionClient(provider: configuration.provider(environment: environment))
    }

    /// One completion, waiting for a free slot first; `usage.cost` is filled in.
    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        await acquire()
        defer { release() }
        var response = try await client.complete(request)
        response.usage.cost = configuration.cost(of: response.usage)
        return response
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
