import BatonContracts
import Foundation
import Logging
import Testing

@testable import BatonScheduler

@Suite struct TimerServiceTests {
    /// The events gate said silence counts, then the database kept the pass waiting (a
    /// frozen primary): the heartbeats sent meanwhile wait unapplied in the events
    /// queues, so the stale answer must not time the attempt out. After a measured
    /// freeze, 32 running workflows' heartbeat timeouts fired the moment the database
    /// answered again.
    @Test func aGateAnswerOlderThanItsLifetimeLeavesSilenceTimersForTheNextPass() async throws {
        let h = EngineHarness()
        let id = try await h.submit("w")
        try await h.apply(h.event(id, .started))
        h.advance(31)  // past the heartbeat timeout
        let timers = TimerService(engine: h.engine, logger: Logger(label: "test"))
        let stale = ContinuousClock.now - TimerService.gateAnswerLifetime - .seconds(1)
        #expect(try await timers.fireDueTimers(includingSilence: true, askedAt: stale) == 0)
        #expect(h.status(id) == .running)
        #expect(try await timers.fireDueTimers(includingSilence: true, askedAt: .now) == 1)
        #expect(h.history(id).last == "timer_heartbeat applied")
    }

    /// Only the timers that judge a worker's silence wait: a back-off's end is not news
    /// that can be stuck in a queue.
    @Test func aStaleAnswerHoldsOnlyTheSilenceTimers() async throws {
        let h = EngineHarness()
        let id = try await h.submit("w")
        try await h.apply(h.event(id, .started))
        h.advance(31)
        #expect(try await h.engine.fireDueTimers(holding: [], limit: 10) == 1)  // the heartbeat timeout
        #expect(h.status(id) == .backingOff)
        h.advance(3_600)  // past the back-off
        let timers = TimerService(engine: h.engine, logger: Logger(label: "test"))
        let stale = ContinuousClock.now - TimerService.gateAnswerLifetime - .seconds(1)
        #expect(try await timers.fireDueTimers(includingSilence: true, askedAt: stale) == 1)
        #expect(h.status(id) == .dispatched)
    }
}
