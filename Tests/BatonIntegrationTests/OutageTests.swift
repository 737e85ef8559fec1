import BatonAgents
import BatonContracts
import BatonHTTPClient
import BatonLifecycle
import BatonWorker
import Foundation
import ServiceLifecycle
import Testing

/// Issue #10 (3, 4, 5): the broker, the scheduler and the database go away while work
/// runs; nothing may run to the end twice, finished work may not be thrown away, and
/// no daemon may exit. Each outage is confined to this test's own database, queues
/// and connections, so the tests that share the services go on undisturbed.
@Suite struct OutageTests {
    /// Every workflow completed by its first attempt, dispatched once.
    static func expectEachRanOnce(_ ids: [String], _ stack: Stack) async throws {
        for id in ids {
            let view = try await stack.waitUntilFinished(id)
            #expect(view.status == .completed, "\(id)")
            #expect(view.attempt == 1, "\(id) ran again as attempt \(view.attempt)")
            let attempts = view.result?["steps"]?.arrayValue?.compactMap { $0["attempt"]?.numberValue }
            #expect(attempts?.allSatisfy { $0 == 1 } == true, "\(id): \(attempts ?? [])")
            let dispatches = try await stack.query(
                "SELECT count(*) AS n FROM workflow_events WHERE workflow_id = \(id) AND type = 'dispatched'")
            #expect(dispatches.first?["n"] == "1", "\(id)")
        }
    }

    /// Three 6-step workflows, once one of them has checkpointed a step: running when an
    /// outage begins.
    static func startThreeWorkflows(on stack: Stack) async throws -> [String] {
        let options = WorkflowOptions(heartbeatIntervalSeconds: 0.5, heartbeatTimeoutSeconds: 30)
        var ids: [String] = []
        for _ in 0..<3 {
            ids.append(
                try await stack.submit(
                    SubmitWorkflowRequest(agent: "chain", input: ["steps": 6, "sleep_ms": 400], options: options)
                ).view.id)
        }
        _ = try await Stack.waitForCount(
            stack.databaseURL, "SELECT coalesce(max(checkpoint_step), 0) AS n FROM workflows", atLeast: 1)
        return ids
    }

    /// (3) A broker restart cuts every connection and requeues every running command.
    /// The workers are fine: no activity may run a second time.
    @Test func lostBrokerConnectionsDoNotRunAnyActivityTwice() async throws {
        try await Stack.run(workers: 0) { stack in
            // Six workflows fill both workers' three slots: no requeued command can reach
            // a connection that the simulated restart has not closed yet (forced closes
            // are not quite simultaneous), which would be a worker cut off, broker up.
            let workers = (0..<2).map { _ in
                WorkerService(
                    configuration: WorkerConfiguration(
                        queue: stack.queue, eventsQueue: stack.eventsQueue, brokerURL: TestServices.brokerURL,
                        concurrency: 3, commandHoldSeconds: TestServices.commandHoldSeconds),
                    registry: AgentRegistry.builtIn(), logger: TestServices.logger)
            }
            let group = ServiceGroup(
                configuration: .init(services: workers.map(\.shutsDownGroupWhenDone), logger: TestServices.logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let options = WorkflowOptions(heartbeatIntervalSeconds: 0.5, heartbeatTimeoutSeconds: 20)
                var ids: [String] = []
                for _ in 0..<6 {
                    ids.append(
                        try await stack.submit(
                            SubmitWorkflowRequest(
                                agent: "chain", input: ["steps": 6, "sleep_ms": 500], options: options)
                        ).view.id)
                }
                _ = try await Stack.waitForCount(
                    stack.databaseURL, "SELECT count(*) AS n FROM workflows WHERE checkpoint_step >= 1", atLeast: 6)
                // All at once, as a restart does: the connections that get the requeued
                // commands are then all new (see `closeConnections`).
                let closed = try await BrokerOutageTests.closeConnections(mentioning: workers.map(\.workerId))
                #expect(closed == 4)
                try await Self.expectEachRanOnce(ids, stack)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    /// (5) PostgreSQL goes away for longer than the scheduler used to survive (~7 s):
    /// the scheduler stays up, says it is not ready, answers 503 with Retry-After, and
    /// carries on by itself when the database is back.
    @Test func aDatabaseOutageIsRiddenOut() async throws {
        try await Stack.run { stack in
            let options = WorkflowOptions(heartbeatIntervalSeconds: 0.5, heartbeatTimeoutSeconds: 30)
            let id = try await stack.submit(
                SubmitWorkflowRequest(agent: "chain", input: ["steps": 6, "sleep_ms": 500], options: options)
            ).view.id
            _ = try await Stack.waitForCount(
                stack.databaseURL, "SELECT coalesce(max(checkpoint_step), 0) AS n FROM workflows", atLeast: 1)
            let outage = try await TestServices.DatabaseOutage.begin(stack.databaseURL)
            var sawNotReady = false
            var saw503 = false
            let outageEnd = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < outageEnd {
                if let ready = try? await stack.get("/readyz"), ready.status == 503 { sawNotReady = true }
                if let read = try? await stack.get("/v1/workflows/\(id)"), read.status == 503,
                    read.headers["retry-after"] != nil
                {
                    saw503 = true
                }
                try await Task.sleep(for: .milliseconds(250))
            }
            try await outage.end()
            #expect(sawNotReady)
            #expect(saw503)
            // A 503 says "try again": the test does, a few times, as a client should.
            for _ in 0..<20 {
                guard let ready = try? await stack.get("/readyz"), ready.status != 200 else { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            let view = try await stack.waitUntilFinished(id)
            #expect(view.status == .completed)
            #expect(try await stack.get("/readyz").status == 200)
            let after = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: ["steps": 1])).view.id
            #expect(try await stack.waitUntilFinished(after).status == .completed)
        }
    }

    /// A primary fenced during a failover, or a URL that reaches a standby, takes reads
    /// and refuses writes (SQLSTATE 25006). That was taken for a bad event: the measured
    /// failover run saw 142 events dead-lettered, every workflow retried and 82 steps run
    /// twice, and submissions answered 500. Now it is an outage: events wait, submissions
    /// get a 503, and a session that met it is replaced, so that once the database takes
    /// writes again (or a multi-host URL finds the new primary) everything goes on.
    @Test func aDatabaseThatTakesNoWritesIsRiddenOutLikeAnOutage() async throws {
        try await Stack.run { stack in
            let ids = try await Self.startThreeWorkflows(on: stack)
            let name = String(stack.databaseURL.split(separator: "/").last ?? "")
            let admin = try await TestServices.connectOrExplain(TestServices.postgresURL)
            // New sessions are read-only; the open ones are cut so that they reconnect as such.
            try await admin.query("ALTER DATABASE \(unescaped: name) SET default_transaction_read_only = on")
            try await admin.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(name) AND pid <> pg_backend_pid()"
            )
            var submitted: Int?
            let fenceEnd = ContinuousClock.now + .seconds(6)
            while ContinuousClock.now < fenceEnd {
                let response = try? await stack.post(
                    "/v1/workflows", json: #"{"agent": "chain", "input": {"steps": 1}}"#)
                if let status = response?.status, status != 201 { submitted = status }
                try await Task.sleep(for: .milliseconds(300))
            }
            // Writable again for new sessions only: the read-only ones must be replaced.
            try await admin.query("ALTER DATABASE \(unescaped: name) RESET default_transaction_read_only")
            await admin.close()
            #expect(
                submitted == 503, "a submission while no write was possible got \(submitted.map(String.init) ?? "201")")
            try await Self.expectEachRanOnce(ids, stack)
            let after = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: ["steps": 1])).view.id
            #expect(try await stack.waitUntilFinished(after).status == .completed)
        }
    }

    /// A database that stops answering without closing anything (a hung host, a network
    /// path that drops packets) is an outage, not a hang: each round trip gives up after
    /// `postgres_timeout_seconds`, `/readyz` says so, submissions get a 503, and once it
    /// answers again the workflows go on. libpq waits forever by default: the scheduler
    /// sat wedged while `/readyz` said 200.
    @Test func aDatabaseThatStopsAnsweringIsAnOutageNotAHang() async throws {
        let proxy = try await StallProxy.start()
        do {
            try await Self.rideOutAStall(proxy)
        } catch {
            await proxy.stop()
            throw error
        }
        await proxy.stop()
    }

    /// Whether `check` held once, answered before `end`, asked every 300 ms.
    private static func poll(
        until end: ContinuousClock.Instant, _ check: @Sendable () async -> Bool
    ) async throws -> Bool {
        var held = false
        while ContinuousClock.now < end {
            if await check() && ContinuousClock.now < end { held = true }
            try await Task.sleep(for: .milliseconds(300))
        }
        return held
    }

    private static func rideOutAStall(_ proxy: StallProxy) async throws {
        try await Stack.run(schedulerDatabaseURL: proxy.route, postgresTimeoutSeconds: 2) { stack in
            let ids = try await Self.startThreeWorkflows(on: stack)
            proxy.stall()
            // Readiness and submissions are asked side by side: a submission may wait for
            // its round trip's limit, and /readyz must not wait behind it.
            let stallEnd = ContinuousClock.now + .seconds(12)
            async let sawNotReady = Self.poll(until: stallEnd) {
                (try? await stack.get("/readyz"))?.status == 503
            }
            async let submitted = Self.poll(until: stallEnd) {
                let response = try? await stack.post(
                    "/v1/workflows", json: #"{"agent": "chain", "input": {"steps": 1}}"#)
                return response?.status == 503
            }
            let (notReady, refused) = try await (sawNotReady, submitted)
            proxy.resume()
            #expect(notReady, "/readyz said 200 all through the stall")
            #expect(refused, "no submission was answered with a 503 during the stall")
            try await Self.expectEachRanOnce(ids, stack)
            let after = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: ["steps": 1])).view.id
            #expect(try await stack.waitUntilFinished(after).status == .completed)
            #expect(try await stack.get("/readyz").status == 200)
        }
    }

    /// (4) The scheduler is down for longer than the heartbeat timeout while workers
    /// finish their activities: when it comes back, the events waiting in its queue
    /// are applied before any heartbeat timer judges those attempts dead.
    @Test func aSchedulerOutageLongerThanTheHeartbeatTimeoutThrowsNothingAway() async throws {
        try await SchedulerCrashTests.withSchedulerProcess { stack in
            let (databaseURL, first) = (stack.databaseURL, stack.first)
            let options = WorkflowOptions(heartbeatIntervalSeconds: 0.5, heartbeatTimeoutSeconds: 2)
            let total = 8
            for index in 0..<total {
                let body = try JSONEncoder().encode(
                    SubmitWorkflowRequest(
                        id: "outage-\(index)", agent: "chain", input: ["steps": 4, "sleep_ms": 400], options: options))
                let response = try await HTTPClient.send(
                    HTTPRequest(
                        method: "POST", url: first.baseURL + "/v1/workflows",
                        headers: TestServices.authorization().merging(["Content-Type": "application/json"]) { $1 },
                        body: body))
                #expect(response.status == 201)
            }
            _ = try await Stack.waitForCount(
                databaseURL, "SELECT count(*) AS n FROM workflows WHERE status = 'running'", atLeast: total)
            await first.kill()
            // Three heartbeat timeouts long; the activities finish meanwhile.
            try await Task.sleep(for: .seconds(6))
            let second = try await stack.startScheduler()
            let done = try await Stack.waitForCount(
                databaseURL, "SELECT count(*) AS n FROM workflows WHERE status = 'completed'", atLeast: total)
            #expect(done == total)
            let rows = try await Stack.query(
                databaseURL,
                """
                SELECT w.id, w.attempt,
                    (SELECT count(*) FROM workflow_events e WHERE e.workflow_id = w.id AND e.type = 'dispatched') AS dispatches
                FROM workflows w
                """)
            for row in rows.all where row["attempt"] != "1" {
                let history = try await Stack.query(
                    databaseURL,
                    "SELECT type || ' ' || outcome || ' ' || to_char(recorded_at, 'SS.MS') AS t FROM workflow_events WHERE workflow_id = \(row["id"] ?? "") ORDER BY seq"
                )
                Issue.record("\(row["id"] ?? ""): \(history.all.compactMap { $0["t"] })")
            }
            for row in rows.all {
                #expect(row["attempt"] == "1", "\(row["id"] ?? "") was redone")
                #expect(row["dispatches"] == "1", "\(row["id"] ?? "")")
            }
            await second.process.terminate()
        }
    }
}
