import BatonAgents
import BatonContracts
import BatonWorker
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// Issue #14: a worker's lines named the workflow and attempt, but not the agent or the
/// tenant, so an operator could not follow one tenant's work through the workers' logs.
@Suite struct WorkerLogLinesTests {
    /// Keeps every line's message and metadata.
    final class Lines: Sendable {
        let lines = Mutex<[(message: String, metadata: Logger.Metadata)]>([])

        struct Handler: LogHandler {
            let lines: Lines
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .info
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }
            func log(event: LogEvent) {
                let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
                lines.lines.withLock { $0.append(("\(event.message)", merged)) }
            }
        }

        func with(_ message: String) -> [Logger.Metadata] {
            lines.withLock { $0.filter { $0.message == message }.map(\.metadata) }
        }
    }

    @Test func everyLineOfAnAttemptNamesItsWorkflowAgentAndTenant() async throws {
        try await Stack.run(workers: 0) { stack in
            let lines = Lines()
            let worker = WorkerService(
                configuration: WorkerConfiguration(
                    queue: stack.queue, eventsQueue: stack.eventsQueue, brokerURL: TestServices.brokerURL,
                    concurrency: 2, commandHoldSeconds: TestServices.commandHoldSeconds),
                registry: AgentRegistry.builtIn(resources: AgentResources()),
                logger: Logger(label: "baton.worker", factory: { _ in Lines.Handler(lines: lines) }))
            let group = ServiceGroup(
                configuration: .init(services: [worker.shutsDownGroupWhenDone], logger: TestServices.logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                _ = try await Stack.waitForCount(
                    stack.databaseURL, "SELECT count(*) AS n FROM workers WHERE descriptors IS NOT NULL", atLeast: 1)
                // mallory's key belongs to the tenant "elsewhere".
                let id = try await stack.submit(
                    SubmitWorkflowRequest(agent: "chain", input: ["steps": 2]), as: "mallory"
                ).view.id
                _ = try await Stack.waitForCount(
                    stack.databaseURL,
                    "SELECT count(*) AS n FROM workflows WHERE id = '\(id)' AND status = 'completed'",
                    atLeast: 1)
                for message in ["activity started", "activity completed"] {
                    let found = lines.with(message)
                    #expect(found.count == 1, "\(message)")
                    let metadata = found.first ?? [:]
                    #expect(metadata["workflow"] == "\(id)", "\(message)")
                    #expect(metadata["attempt"] == "1", "\(message)")
                    #expect(metadata["agent"] == "chain", "\(message)")
                    #expect(metadata["tenant"] == "elsewhere", "\(message)")
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
