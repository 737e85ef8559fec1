import BatonLLM
import Testing

/// The limiter is given the time, so these tests need no clock.
@Suite struct RateLimiterTests {
    @Test func requestsBeyondThePerMinuteBudgetWaitForTheOldestToLeaveTheWindow() {
        var limiter = RateLimiter(requestsPerMinute: 3, tokensPerMinute: nil)
        for second in [0.0, 1, 2] {
            #expect(limiter.delay(at: second) == 0)
            limiter.recordRequest(at: second)
        }
        #expect(limiter.delay(at: 10) == 50)  // the request at 0 leaves the window at 60
        #expect(limiter.delay(at: 60.5) == 0)
    }

    @Test func tokensBeyondThePerMinuteBudgetWaitUntilEnoughHaveExpired() {
        var limiter = RateLimiter(requestsPerMinute: nil, tokensPerMinute: 1000)
        limiter.recordRequest(at: 0)
        limiter.recordTokens(600, at: 0)
        #expect(limiter.delay(at: 1) == 0)
        limiter.recordRequest(at: 5)
        limiter.recordTokens(600, at: 5)
        // 1200 spent: once the 600 of second 0 expire, 600 remain, under the budget.
        #expect(limiter.delay(at: 10) == 50)
        #expect(limiter.delay(at: 61) == 0)
    }

    @Test func noBudgetsMeansNoWaiting() {
        var limiter = RateLimiter(requestsPerMinute: nil, tokensPerMinute: nil)
        for second in 0..<1000 { limiter.recordRequest(at: Double(second) / 1000) }
        #expect(limiter.delay(at: 1) == 0)
    }
}
