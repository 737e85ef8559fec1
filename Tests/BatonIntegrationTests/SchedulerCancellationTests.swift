import BatonContracts
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import BatonScheduler

/// A scheduler whose services are cancelled (a supervisor's second signal, a test that
/// fails) must stop. Its partition loops slept with `try?`, which a cancelled task
/// returns from at once: a replica whose partitions had been given up (here by the
/// tests' kill switch, which idles it as a killed process would be) spun at full CPU
/// forever instead, and a test run hung on it.
@Suite struct SchedulerCancellationTests {
    @Test func aCancelledSchedulerStops() async throws {
        let databaseURL = try await TestServices.freshDatabase()
        let queue = TestServices.uniqueName("agents")
        let configuration = SchedulerConfiguration(
            httpHost: "127.0.0.1", httpPort: 0, postgresURL: databaseURL, brokerURL: TestServices.brokerURL,
            queue: queue, eventsQueue: queue + ".events", eventPartitions: 4)
        let (started, startedContinuation) = AsyncStream.makeStream(of: Int.self)
        let kill = PartitionKillSwitch()
        let services = try await Scheduler.makeServices(
            configuration: configuration, logger: TestServices.logger,
            onServerRunning: { startedContinuation.yield($0) }, replica: "cancelled", kill: kill)
        let group = ServiceGroup(configuration: .init(services: services, logger: TestServices.logger))
        let running = Task { try await group.run() }
        var ports = started.makeAsyncIterator()
        _ = await ports.next()
        kill.trip()
        try await Task.sleep(for: .seconds(1))  // the partition service has seen it and idles
        running.cancel()
        // Polled rather than awaited: a scheduler that never stops must fail the test, not hang it.
        let stopped = Mutex(false)
        Task {
            _ = try? await running.value
            stopped.withLock { $0 = true }
        }
        for _ in 0..<600 where !stopped.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(100)) }
        #expect(stopped.withLock { $0 }, "the cancelled scheduler did not stop within 60 s")
    }

    /// An open stream must not hold a stopping scheduler up: a workflow's stream lasts
    /// as long as the workflow, and a rolling restart would wait on it for hours. The
    /// stream ends instead, and its client reconnects to another replica.
    @Test func aGracefulShutdownEndsOpenStreams() async throws {
        let databaseURL = try await TestServices.freshDatabase()
        let queue = TestServices.uniqueName("agents")
        var configuration = SchedulerConfiguration(
            httpHost: "127.0.0.1", httpPort: 0, postgresURL: databaseURL, brokerURL: TestServices.brokerURL,
            queue: queue, eventsQueue: queue + ".events", eventPartitions: 4)
        configuration.apiKeys = TestServices.configuredKeys
        let (started, startedContinuation) = AsyncStream.makeStream(of: Int.self)
        let services = try await Scheduler.makeServices(
            configuration: configuration, logger: TestServices.logger,
            onServerRunning: { startedContinuation.yield($0) }, replica: "streaming", kill: PartitionKillSwitch())
        let group = ServiceGroup(configuration: .init(services: services, logger: TestServices.logger))
        let running = Task { try await group.run() }
        var ports = started.makeAsyncIterator()
        let port = try #require(await ports.next())
        let client = TestServices.client("http://127.0.0.1:\(port)")
        // No worker runs: the workflow waits for one, and its stream stays open.
        _ = try await client.submit(SubmitWorkflowRequest(id: "open", agent: "chain"))
        let reading = Task {
            var events = 0
            for try await _ in try await client.events(of: "open") { events += 1 }
            return events
        }
        try await Task.sleep(for: .milliseconds(500))
        await group.triggerGracefulShutdown()
        let stopped = Mutex(false)
        Task {
            _ = try? await running.value
            stopped.withLock { $0 = true }
        }
        for _ in 0..<600 where !stopped.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(100)) }
        #expect(stopped.withLock { $0 }, "the scheduler did not stop within 60 s with a stream open")
        reading.cancel()
        #expect((try? await reading.value) ?? 0 >= 1)
    }
}
