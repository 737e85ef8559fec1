/// A provider's per-minute budgets (requests and tokens) over a sliding 60-second
/// window. A pure value: callers pass the time, so it can be tested without a clock.
public struct RateLimiter: Sendable {
    public var requestsPerMinute: Int?
    public var tokensPerMinute: Int?
    private var requests: [Double] = []
    private var tokens: [(at: Double, count: Int)] = []

    public static let window = 60.0

    public init(requestsPerMinute: Int?, tokensPerMinute: Int?) {
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
    }

    /// Seconds to wait at `now` before the next request may start; 0 when it may start now.
    public mutating func delay(at now: Double) -> Double {
        forget(before: now - Self.window)
        var wait = 0.0
        if let limit = requestsPerMinute, requests.count >= limit {
            wait = max(wait, requests[requests.count - limit] + Self.window - now)
        }
        if let limit = tokensPerMinute {
            // Tokens are known only after an answer: wait until enough of the window has expired.
            var spent = tokens.reduce(0) { $0 + $1.count }
            var index = 0
            while spent >= limit, index < tokens.count {
                spent -= tokens[index].count
                wait = max(wait, tokens[index].at + Self.window - now)
                index += 1
            }
        }
        return max(0, wait)
    }

    /// A request starts at `now`.
    public mutating func recordRequest(at now: Double) {
        requests.append(now)
    }

    /// An answer spent `count` tokens, at `now`.
    public mutating func recordTokens(_ count: Int, at now: Double) {
        guard tokensPerMinute != nil, count > 0 else { return }
        tokens.append((now, count))
    }

    private mutating func forget(before cutoff: Double) {
        if let index = requests.firstIndex(where: { $0 > cutoff }) {
            requests.removeFirst(index)
        } else {
            requests.removeAll()
        }
        if let index = tokens.firstIndex(where: { $0.at > cutoff }) {
            tokens.removeFirst(index)
        } else {
            tokens.removeAll()
        }
    }
}
