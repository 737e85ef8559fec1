import BatonAgents
import BatonContracts
import BatonLifecycle
import BatonWorker
import ChildProcesses
import Foundation
import ServiceLifecycle
import Testing

/// The broker drops a worker's connections in the middle of a run (as a broker restart
/// or a network cut would, without disturbing the other tests that share the broker).
@Suite struct BrokerOutageTests {
    /// `rabbitmqctl` against the project's broker, through the services script, or
    /// against a node of the local cluster when `BATON_TEST_RABBITMQ_CLUSTER_NODE` names
    /// one (`scripts/cluster-tests.sh`).
    static func rabbitmqctl(_ arguments: [String]) async throws -> String {
        let scripts = SchedulerCrashTests.root.appendingPathComponent("scripts")
        let command =
            if let node = ProcessInfo.processInfo.environment["BATON_TEST_RABBITMQ_CLUSTER_NODE"] {
                [scripts.appendingPathComponent("rabbitmq-cluster.sh").path, "rabbitmqctl", node]
            } else {
                [scripts.appendingPathComponent("services.sh").path, "rabbitmqctl"]
            }
        return try await ChildProcess.run("/bin/bash", arguments: command + arguments).output
    }

    /// Closes every broker connection whose client-provided name mentions `marker`.
    static func closeConnections(mentioning marker: String) async throws -> Int {
        try await closeConnections(mentioning: [marker])
    }

    /// Closes, in one go inside the broker (each close in its own process, all at once;
    /// a cluster's node lists every node's connections), every connection whose
    /// client-provided name mentions one of `markers`, as a broker restart closes them. One at a time (a `rabbitmqctl` each, seconds apart on a loaded
    /// machine), a command requeued by one close reaches another worker's connection still
    /// open and old: a worker cut off while the broker stayed up, which the scheduler
    /// rightly gives up at once.
    static func closeConnections(mentioning markers: [String]) async throws -> Int {
        for marker in markers {
            try #require(!marker.contains(where: { $0 == "\"" || $0 == "\\" }), "a marker the script can quote")
        }
        let script = """
            Markers = [\(markers.map { "<<\"\($0)\">>" }.joined(separator: ", "))],
            Pids = [proplists:get_value(pid, I) || I <- rabbit_networking:connection_info_all([pid, client_properties]),
                CP <- [proplists:get_value(client_properties, I)], is_list(CP),
                {_, _, Name} <- [lists:keyfind(<<"connection_name">>, 1, CP)], is_binary(Name),
                lists:any(fun(M) -> binary:match(Name, M) =/= nomatch end, Markers)],
            [spawn(fun() -> rabbit_networking:close_connection(P, "test: broker outage") end) || P <- Pids],
            length(Pids).
            """
        let output = try await rabbitmqctl(["eval", script])
        let count = output.split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        return try #require(count, "rabbitmqctl eval said: \(output)")
    }

    @Test func aWorkerRidesOutLostConnectionsAndTheWorkflowCompletes() async throws {
        try await Stack.run(workers: 0) { stack in
            let worker = WorkerService(
                configuration: WorkerConfiguration(
                    queue: stack.queue, eventsQueue: stack.eventsQueue, brokerURL: TestServices.brokerURL,
                    concurrency: 2, commandHoldSeconds: TestServices.commandHoldSeconds),
                registry: AgentRegistry.builtIn(resources: AgentResources(testHooksFolder: HeldChain.folder.path)),
                logger: TestServices.logger)
            let group = ServiceGroup(
                configuration: .init(services: [worker.shutsDownGroupWhenDone], logger: TestServices.logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let chain = HeldChain("cut-off", steps: 5, holdAt: 2)
                let id = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: chain.input)).view.id
                try await chain.waitUntilHeld()
                let closed = try await Self.closeConnections(mentioning: worker.workerId)
                #expect(closed == 2)  // its command and event connections
                // The worker says at once that it reconnected while the activity runs.
                _ = try await Stack.waitForCount(
                    stack.databaseURL,
                    "SELECT count(*) AS n FROM workflow_events WHERE workflow_id = '\(id)' AND type = 'heartbeat' AND payload->>'reconnected' = 'true'",
                    atLeast: 1)
                try chain.release()

                let view = try await stack.waitUntilFinished(id)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                #expect(view.status == .completed)
                let nodes = view.result?["steps"]?.arrayValue?.compactMap { $0["node"]?.stringValue }
                #expect(nodes == (0..<5).map { "step_\($0)" })
                let checkpoints = try await stack.query(
                    """
                    SELECT payload ->> 'step' AS step FROM workflow_events
                    WHERE workflow_id = \(id) AND type = 'checkpointed' AND outcome = 'applied' ORDER BY seq
                    """)
                #expect(checkpoints.all.map { $0["step"] } == ["1", "2", "3", "4", "5"])
                #expect(view.attempt == 1)  // the cut did not run the activity again
            }
        }
    }
}
