import BatonAMQP
import BatonAgents
import BatonContracts
import BatonLifecycle
import BatonWorker
import ChildProcesses
import Foundation
import ServiceLifecycle
import Testing

/// Issue #10 (11): the scheduler and the workers log in as separate broker users with
/// only the rights each needs (`scripts/broker-users.sh`); a worker's credentials can
/// neither put a command on the queue nor read the events nor delete a queue.
@Suite struct BrokerPermissionsTests {
    struct Users {
        let scheduler: String
        let worker: String
        let schedulerURL: String
        let workerURL: String
    }

    static func createUsers(queue: String, eventsQueue: String) async throws -> Users {
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let (scheduler, worker) = ("scheduler-\(suffix)", "worker-\(suffix)")
        let (schedulerPassword, workerPassword) = (UUID().uuidString, UUID().uuidString)
        var environment = ProcessInfo.processInfo.environment
        environment["RABBITMQCTL"] =
            "bash \(SchedulerCrashTests.root.appendingPathComponent("scripts/services.sh").path) rabbitmqctl"
        environment["BATON_QUEUE"] = queue
        environment["BATON_EVENTS_QUEUE"] = eventsQueue
        environment["BATON_AMQP_SCHEDULER_USER"] = scheduler
        environment["BATON_AMQP_WORKER_USER"] = worker
        environment["BATON_AMQP_SCHEDULER_PASSWORD"] = schedulerPassword
        environment["BATON_AMQP_WORKER_PASSWORD"] = workerPassword
        let outcome = try await ChildProcess.run(
            "/bin/bash", arguments: [SchedulerCrashTests.root.appendingPathComponent("scripts/broker-users.sh").path],
            environment: environment)
        try #require(outcome.status == 0, "scripts/broker-users.sh failed: \(outcome.errors)")
        let endpoint = try AMQPEndpoint(url: TestServices.brokerURL)
        func url(_ user: String, _ password: String) -> String {
            "amqp://\(user):\(password)@\(endpoint.host):\(endpoint.port)"
        }
        return Users(
            scheduler: scheduler, worker: worker, schedulerURL: url(scheduler, schedulerPassword),
            workerURL: url(worker, workerPassword))
    }

    static func deleteUsers(_ users: Users) async {
        for user in [users.scheduler, users.worker] {
            _ = try? await BrokerOutageTests.rabbitmqctl(["delete_user", user])
        }
    }

    @Test func eachDaemonWorksWithOnlyItsOwnRights() async throws {
        let queue = TestServices.uniqueName("agents")
        let users = try await Self.createUsers(queue: queue, eventsQueue: queue + ".events")
        do {
            try await Self.exerciseRights(of: users, queue: queue)
        } catch {
            await Self.deleteUsers(users)
            throw error
        }
        await Self.deleteUsers(users)
    }

    static func exerciseRights(of users: Users, queue: String) async throws {
        try await Stack.run(workers: 0, queue: queue, schedulerBrokerURL: users.schedulerURL) { stack in
            let worker = WorkerService(
                configuration: WorkerConfiguration(
                    queue: stack.queue, eventsQueue: stack.eventsQueue, brokerURL: users.workerURL, concurrency: 2,
                    commandHoldSeconds: TestServices.commandHoldSeconds),
                registry: AgentRegistry.builtIn(), logger: TestServices.logger)
            let group = ServiceGroup(
                configuration: .init(services: [worker.shutsDownGroupWhenDone], logger: TestServices.logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let id = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: ["steps": 3])).view.id
                let view = try await stack.waitUntilFinished(id)
                #expect(view.status == .completed)

                // What a stolen worker credential cannot do.
                let endpoint = try AMQPEndpoint(url: users.workerURL)
                let forged = RunActivity(
                    workflowId: "forged", attempt: 1, agent: "chain", input: [:], checkpoint: nil,
                    heartbeatIntervalSeconds: 5)
                let refusals: [(String, @Sendable (AMQPConnection) async throws -> Void)] = [
                    (
                        "publish a command",
                        { connection in
                            try await connection.enableConfirms()
                            try await connection.publish([
                                AMQPMessage(routingKey: stack.queue, body: WorkerCommand.runActivity(forged).encoded())
                            ])
                        }
                    ),
                    ("read the events", { connection in _ = try await connection.consume(stack.eventsQueue) }),
                    ("delete the command queue", { connection in try await connection.deleteQueue(stack.queue) }),
                ]
                for (what, attempt) in refusals {
                    let connection = try await AMQPConnection.connect(to: endpoint, name: "test: \(what)")
                    await #expect(throws: AMQPError.self, "a worker's credentials could \(what)") {
                        try await attempt(connection)
                    }
                    await connection.close()
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
