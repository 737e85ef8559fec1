import BatonAMQP
import Testing

@testable import BatonWorker

/// The consumer replacements and releases the worker's consume loop carries out
/// (`CommandSlots`); the broker's side of it is `AMQPConnectionTests`' prefetch test.
@Suite struct CommandSlotsTests {
    let start = ContinuousClock.now
    let slots = CommandSlots(concurrency: 4, holdLimit: .seconds(60))

    func key(_ n: Int) -> ActivityCancellations.Key { .init(workflowId: "wf-\(n)", attempt: 1) }
    func delivery(_ tag: UInt64, from consumer: String) -> AMQPDelivery {
        AMQPDelivery(
            deliveryTag: tag, routingKey: "agents", body: .init(), headers: [:], redelivered: false,
            consumerTag: consumer)
    }

    @Test func startsOneConsumerWithEverySlotAndLeavesItAlone() {
        #expect(slots.change(running: 0, draining: false, now: start) == .init(cancel: nil, consume: 4, release: []))
        slots.consumerStarted("c1", limit: 4)
        slots.hold(key(1), delivery: delivery(1, from: "c1"), at: start)
        slots.hold(key(2), delivery: delivery(2, from: "c1"), at: start)
        #expect(slots.change(running: 2, draining: false, now: start + .seconds(59)) == nil)
        #expect(slots.finish(key(1)) == 1)  // acknowledged by the activity as it ends
        #expect(slots.change(running: 1, draining: false, now: start + .seconds(59)) == nil)
    }

    /// A command held past the limit is released, and the consumer replaced first by one
    /// that leaves the released activity's slot taken; once it ends, the slot comes back.
    @Test func releasingKeepsTheSlotTakenUntilTheActivityEnds() {
        _ = slots.change(running: 0, draining: false, now: start)
        slots.consumerStarted("c1", limit: 4)
        slots.hold(key(1), delivery: delivery(1, from: "c1"), at: start)
        slots.hold(key(2), delivery: delivery(2, from: "c1"), at: start + .seconds(30))
        #expect(
            slots.change(running: 2, draining: false, now: start + .seconds(61))
                == .init(cancel: "c1", consume: 2, release: [1]))
        slots.consumerStarted("c2", limit: 2)
        #expect(slots.finish(key(1)) == nil)  // released: not acknowledged twice
        #expect(slots.isHeld(key(2)))
        // Activity 1 ended: c2 may take 3, and nothing else changed meanwhile.
        #expect(
            slots.change(running: 1, draining: false, now: start + .seconds(62))
                == .init(cancel: "c2", consume: 3, release: []))
        slots.consumerStarted("c3", limit: 3)
        #expect(slots.change(running: 1, draining: false, now: start + .seconds(63)) == nil)
        // Activity 2, held by c1, ends: acknowledged, and c3 grows to the whole.
        #expect(slots.finish(key(2)) == 2)
        #expect(
            slots.change(running: 0, draining: false, now: start + .seconds(64))
                == .init(cancel: "c3", consume: 4, release: []))
    }

    /// Every slot runs a released command: no consumer at all (a limit of 0 would be none).
    @Test func withEverySlotReleasedNoConsumerRuns() {
        let slots = CommandSlots(concurrency: 1, holdLimit: .seconds(10))
        _ = slots.change(running: 0, draining: false, now: start)
        slots.consumerStarted("c1", limit: 1)
        slots.hold(key(1), delivery: delivery(7, from: "c1"), at: start)
        #expect(
            slots.change(running: 1, draining: false, now: start + .seconds(10))
                == .init(cancel: "c1", consume: nil, release: [7]))
        #expect(slots.consumerTag == nil)
        #expect(slots.change(running: 1, draining: false, now: start + .seconds(11)) == nil)
        #expect(slots.finish(key(1)) == nil)
        #expect(
            slots.change(running: 0, draining: false, now: start + .seconds(12))
                == .init(cancel: nil, consume: 1, release: []))
    }

    /// After a reconnection the activities still running hold nothing on the new
    /// connection: its first consumer leaves their slots out.
    @Test func aNewConnectionsConsumerLeavesOutWhatStillRuns() {
        #expect(slots.change(running: 3, draining: false, now: start) == .init(cancel: nil, consume: 1, release: []))
        slots.consumerStarted("c1", limit: 1)
        #expect(
            slots.change(running: 2, draining: false, now: start)
                == .init(cancel: "c1", consume: 2, release: []))
    }

    @Test func aDrainCancelsTheConsumerAndStillReleases() {
        _ = slots.change(running: 0, draining: false, now: start)
        slots.consumerStarted("c1", limit: 4)
        slots.hold(key(1), delivery: delivery(1, from: "c1"), at: start)
        #expect(slots.change(running: 1, draining: true, now: start) == .init(cancel: "c1", consume: nil, release: []))
        #expect(slots.change(running: 1, draining: true, now: start + .seconds(30)) == nil)
        #expect(
            slots.change(running: 1, draining: true, now: start + .seconds(60))
                == .init(cancel: nil, consume: nil, release: [1]))
        #expect(!slots.isHeld(key(1)))
    }
}
