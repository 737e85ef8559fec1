import BatonContracts
import Testing

@testable import BatonWorker

/// What a worker's event costs the broker: only news (heartbeats, progress) skips the
/// disk; whatever the scheduler must apply even after a broker restart is persistent.
@Suite struct EventDurabilityTests {
    @Test func onlyHeartbeatsAndProgressAreTransient() {
        let progress = ActivityProgress(node: "n", step: 1)
        #expect(!EventPublisher.mustSurviveTheBroker(.heartbeat(progress)))
        #expect(!EventPublisher.mustSurviveTheBroker(.heartbeat(nil)))
        #expect(!EventPublisher.mustSurviveTheBroker(.progress(progress)))
        #expect(EventPublisher.mustSurviveTheBroker(.heartbeat(progress, reconnected: true)))
        let durable: [WorkerEvent.Kind] = [
            .started, .checkpointed(Checkpoint(step: 1, nextNodes: [], state: [:])), .completed(output: [:]),
            .failed(ActivityFailure(kind: "k", message: "m", retryable: false)), .redelivered(connectionAgeSeconds: 60),
            .handedBack,
            .interrupted(InterruptRequest(title: "t", question: "q?")),
        ]
        for kind in durable { #expect(EventPublisher.mustSurviveTheBroker(kind)) }
    }
}
