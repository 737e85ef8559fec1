import BatonAMQP
import BatonContracts
import Foundation
import Testing

/// Messages nobody can read go to `<queue>.dead` with the reason; the consumer keeps going.
@Suite struct DeadLetterTests {
    func waitForDeadLetter(_ queue: String, broker: AMQPConnection) async throws -> AMQPDelivery? {
        for _ in 0..<400 {
            if let delivery = try await broker.get(DeadLetter.queue(for: queue)) { return delivery }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    @Test func aMalformedCommandIsDeadLetteredAndTheWorkerGoesOn() async throws {
        try await Stack.run { stack in
            let broker = try await TestServices.broker()
            try await broker.enableConfirms()
            try await broker.publish([AMQPMessage(routingKey: stack.queue, body: Data("{not json".utf8))])
            let dead = try #require(try await waitForDeadLetter(stack.queue, broker: broker))
            #expect(dead.body == Data("{not json".utf8))
            #expect(DeadLetter.reason(of: dead)?.hasPrefix("malformed message: not valid JSON") == true)
            #expect(dead.headers["x-baton-source-queue"] == stack.queue)

            // The worker survived: a real workflow still completes.
            let submitted = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: ["steps": 1])).view
            #expect(try await stack.waitUntilFinished(submitted.id).status == .completed)
            await broker.close()
        }
    }

    @Test func aCommandOfAnUnknownVersionIsDeadLetteredNamingTheVersion() async throws {
        try await Stack.run { stack in
            let broker = try await TestServices.broker()
            try await broker.enableConfirms()
            let body = Data(#"{"version": 99, "type": "run_activity", "workflowId": "w"}"#.utf8)
            try await broker.publish([AMQPMessage(routingKey: stack.queue, body: body)])
            let dead = try #require(try await waitForDeadLetter(stack.queue, broker: broker))
            #expect(DeadLetter.reason(of: dead)?.contains("unsupported contract version 99") == true)
            await broker.close()
        }
    }

    @Test func aMalformedEventIsDeadLetteredByTheScheduler() async throws {
        try await Stack.run { stack in
            let broker = try await TestServices.broker()
            try await broker.enableConfirms()
            try await broker.publish([AMQPMessage(routingKey: stack.eventsQueue, body: Data(#"{"version": 1}"#.utf8))])
            let dead = try #require(try await waitForDeadLetter(stack.eventsQueue, broker: broker))
            #expect(DeadLetter.reason(of: dead) == "malformed message: message has no 'type' field")
            await broker.close()
        }
    }

    /// A checkpoint delta on a base the scheduler does not have is refused with the
    /// reason (the scheduler checks the base in memory, not in SQL), set aside, and the
    /// workflow's next valid checkpoint is stored.
    @Test func aCheckpointDeltaOnAnUnknownBaseIsDeadLetteredWithTheReason() async throws {
        try await Stack.run(workers: 0) { stack in
            _ = try await stack.submit(SubmitWorkflowRequest(id: "dl-base", agent: "chain", input: ["steps": 3]))
            let broker = try await TestServices.broker()
            try await broker.enableConfirms()
            let run = try #require(try await stack.takeRunCommand(on: broker))
            func publish(_ kind: WorkerEvent.Kind) async throws {
                let event = WorkerEvent(
                    workflowId: "dl-base", attempt: run.attempt, workerId: "w", leaseToken: run.leaseToken, kind: kind)
                try await broker.publish([AMQPMessage(routingKey: stack.eventsQueue, body: event.encoded())])
            }
            try await publish(.started)
            let delta = StateDelta([.set(field: "n", value: 1)])
            try await publish(
                .checkpointed(Checkpoint(step: 2, nextNodes: ["b"], state: nil, stateDelta: delta, baseStep: 1)))
            let dead = try #require(try await waitForDeadLetter(stack.eventsQueue, broker: broker))
            let reason = DeadLetter.reason(of: dead) ?? ""
            #expect(reason.contains("checkpoint 2 of workflow dl-base is refused"), "\(reason)")
            #expect(reason.contains("the newest stored checkpoint is none"), "\(reason)")

            try await publish(.checkpointed(Checkpoint(step: 1, nextNodes: ["b"], state: ["n": 0])))
            var stored: String?
            for _ in 0..<200 where stored == nil {
                stored = try await stack.query("SELECT max(step) AS s FROM checkpoints WHERE workflow_id = 'dl-base'")
                    .first?["s"]
                if stored == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(stored == "1")
            await broker.close()
        }
    }

    /// Issue #10 (10): an event for a workflow that does not exist was dropped with a log line.
    @Test func anEventForAnUnknownWorkflowIsDeadLettered() async throws {
        try await Stack.run(workers: 0) { stack in
            let broker = try await TestServices.broker()
            try await broker.enableConfirms()
            let event = WorkerEvent(workflowId: "nobody", attempt: 1, workerId: "w", kind: .started)
            try await broker.publish([AMQPMessage(routingKey: stack.eventsQueue, body: event.encoded())])
            let dead = try #require(try await waitForDeadLetter(stack.eventsQueue, broker: broker))
            #expect(DeadLetter.reason(of: dead) == "no workflow with id 'nobody'; nothing to apply it to")
            await broker.close()
        }
    }

    /// Issue #10 (1): an event whose application stopped the scheduler came back on every
    /// restart (a crash loop). Redelivered events are applied one at a time with their
    /// tries counted; one already tried `maximumTries` times is set aside with the reason.
    /// Here the earlier tries are recorded by hand, and the redelivery is made real: while
    /// the database is away the replica gives up its partitions (it cannot renew their
    /// leases) and stops consuming; the test then receives the event, holds it and cuts its
    /// connection, so the broker hands it back marked redelivered when the replica returns.
    /// (Publishing while the replica still consumed raced its lease expiry on a loaded
    /// machine: the event could arrive after it stopped and come back fresh.)
    @Test func anEventThatNeverFinishesApplyingIsSetAside() async throws {
        // Classic queues whatever the run's kind: holding the event takes a basic.get, which
        // quorum queues with a single active consumer refuse.
        try await Stack.run(workers: 0, queues: .classic) { stack in
            let id = try await stack.submit(SubmitWorkflowRequest(agent: "chain")).view.id
            let event = WorkerEvent(workflowId: id, attempt: 1, workerId: "w", kind: .started)
            try await stack.query(
                "INSERT INTO event_tries (event_id, tries) VALUES (\(event.eventId), 3)")
            let broker = try await TestServices.broker()
            try await broker.enableConfirms()
            // The replica must be consuming before the outage: a consumer still connecting
            // when it begins reads as none, then subscribes and takes the event first.
            var consumers = try await broker.consumerCount(stack.eventsQueue)
            for _ in 0..<600 where consumers == 0 {
                try await Task.sleep(for: .milliseconds(50))
                consumers = try await broker.consumerCount(stack.eventsQueue)
            }
            try #require(consumers > 0, "the replica did not consume its events queue within 30 s")
            let outage = try await TestServices.DatabaseOutage.begin(stack.databaseURL)
            for _ in 0..<600 where consumers > 0 {
                try await Task.sleep(for: .milliseconds(50))
                consumers = try await broker.consumerCount(stack.eventsQueue)
            }
            try #require(consumers == 0, "the replica kept consuming through a 30 s database outage")
            try await broker.publish([AMQPMessage(routingKey: stack.eventsQueue, body: event.encoded())])
            let holder = try await TestServices.broker()
            var held = try await holder.get(stack.eventsQueue)
            for _ in 0..<100 where held == nil {
                try await Task.sleep(for: .milliseconds(50))
                held = try await holder.get(stack.eventsQueue)
            }
            #expect(held?.redelivered == false)
            await holder.close()  // unacknowledged: back in the queue, marked redelivered
            try await outage.end()
            let dead = try #require(try await waitForDeadLetter(stack.eventsQueue, broker: broker))
            #expect(DeadLetter.reason(of: dead)?.contains("tried 3 times and never finished") == true)
            #expect(try WorkerEvent.decode(dead.body).eventId == event.eventId)
            #expect(try await stack.workflow(id).status == .dispatched)  // the event changed nothing
            await broker.close()
        }
    }
}
