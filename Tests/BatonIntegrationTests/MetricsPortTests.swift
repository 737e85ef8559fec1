import BatonHTTPClient
import BatonScheduler
import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import Testing

/// Issue #14: `/metrics` was served on the public API port, telling anyone who could
/// reach the API which agents run and what tenants spend. It now has a port of its own.
@Suite struct MetricsPortTests {
    @Test func metricsAreServedOnTheirOwnPortOnly() async throws {
        let databaseURL = try await TestServices.freshDatabase()
        let queue = TestServices.uniqueName("agents")
        let metricsPort = Int.random(in: 20_000..<30_000)
        let configuration = SchedulerConfiguration(
            httpHost: "127.0.0.1", httpPort: 0, postgresURL: databaseURL, postgresPoolSize: 2,
            brokerURL: TestServices.brokerURL, queue: queue, eventsQueue: queue + ".events",
            metricsPort: metricsPort, eventPartitions: 1, apiKeys: TestServices.configuredKeys)
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(name: "baton_test_marker_total", labels: []).increment()
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let services = try await Scheduler.makeServices(
            configuration: configuration, logger: TestServices.logger, metrics: registry,
            onServerRunning: { continuation.yield($0) })
        let group = ServiceGroup(configuration: .init(services: services, logger: TestServices.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let apiPort = try #require(await iterator.next())
            let api = try await HTTPClient.send(HTTPRequest(url: "http://127.0.0.1:\(apiPort)/metrics"))
            #expect(api.status == 404)
            var scraped: HTTPResponse?
            try await Stack.waitUntil("the metrics listener") {
                scraped = try? await HTTPClient.send(HTTPRequest(url: "http://127.0.0.1:\(metricsPort)/metrics"))
                return scraped?.status == 200
            }
            let text = scraped.map { String(decoding: $0.body, as: UTF8.self) } ?? ""
            #expect(text.contains("baton_test_marker_total 1"))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
