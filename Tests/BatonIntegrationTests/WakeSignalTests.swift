import Testing

@testable import BatonScheduler

@Suite struct WakeSignalTests {
    /// The bug this guards against: the timeout of a wait that a signal ended was
    /// cancelled, and its cancellation counted as a signal, so every later wait
    /// returned at once and the outbox relay spun at half a core forever.
    @Test func aWaitEndedByASignalLeavesNoSignalBehind() async throws {
        let wake = WakeSignal()
        wake.signal()
        await wake.wait(upTo: .seconds(600))  // returns at once: the signal was pending
        try await Task.sleep(for: .milliseconds(50))  // let the cancelled timeout run
        #expect(!wake.isPending)
        let waiter = Task { await wake.wait(upTo: .seconds(600)) }
        try await Task.sleep(for: .milliseconds(50))
        wake.signal()
        await waiter.value
        try await Task.sleep(for: .milliseconds(50))
        #expect(!wake.isPending)
    }

    @Test func aTimeoutEndsTheWaitWithoutASignal() async {
        let wake = WakeSignal()
        await wake.wait(upTo: .milliseconds(10))
        #expect(!wake.isPending)
    }
}
