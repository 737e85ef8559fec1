import BatonAMQP
import Foundation
import Testing

@Suite struct AMQPEndpointTests {
    @Test func parsesAFullURL() throws {
        let endpoint = try AMQPEndpoint(url: "amqp://user:p%40ss@broker.local:5673/prod")
        #expect(
            endpoint
                == AMQPEndpoint(host: "broker.local", port: 5673, user: "user", password: "p@ss", virtualHost: "prod"))
    }

    @Test func defaultsToGuestOnPort5672AndTheRootVhost() throws {
        #expect(
            try AMQPEndpoint(url: "amqp://localhost")
                == AMQPEndpoint(host: "localhost", port: 5672, user: "guest", password: "guest"))
        #expect(try AMQPEndpoint(url: "amqp://localhost/").virtualHost == "/")
    }

    @Test func neverPrintsThePassword() throws {
        let endpoint = try AMQPEndpoint(url: "amqp://bob:hunter2@h:1")
        #expect(!endpoint.description.contains("hunter2"))
        #expect(throws: AMQPError.self) { try AMQPEndpoint(url: "amqp://bob:hunter2@h:notaport") }
        do {
            _ = try AMQPEndpoint(url: "amqp://bob:hunter2@h:notaport")
        } catch {
            #expect(!"\(error)".contains("hunter2"))
        }
    }

    @Test func rejectsOtherSchemes() {
        #expect(throws: AMQPError.invalidURL(reason: "'http://h' does not start with amqp:// or amqps://")) {
            try AMQPEndpoint(url: "http://h")
        }
    }
}

@Suite struct AMQPConnectionTests {
    /// A consumer blocks in `nextDelivery` most of the time; a finished activity's
    /// acknowledgement must not wait for that wait to time out (with every slot of a
    /// worker taken, the next command comes only after it).
    @Test func anAcknowledgementEndsAConsumersWait() async throws {
        let broker = try await TestServices.broker()
        let queue = TestServices.uniqueName("q")
        try await broker.declareQueue(queue)
        try await broker.publish([AMQPMessage(routingKey: queue, body: Data("one".utf8))])
        try await broker.consume(queue)
        let delivery = try #require(try await broker.nextDelivery(timeout: .seconds(10)))
        let wait = ContinuousClock.now
        let waiting = Task { try await broker.nextDelivery(timeout: .seconds(60)) }
        try await Task.sleep(for: .milliseconds(200))  // the wait has begun
        try await broker.ack(delivery.deliveryTag)
        #expect(try await waiting.value == nil)
        // Without the interruption both calls end when librabbitmq wakes to send a
        // heartbeat: 15 s into the wait, with the connection's 30 s heartbeat.
        #expect(ContinuousClock.now - wait < .seconds(10))
        #expect(try await broker.nextDelivery(timeout: .milliseconds(300)) == nil)  // acknowledged: not redelivered
        try await broker.deleteQueue(queue)
        await broker.close()
    }

    /// What a worker that acknowledges a long activity's command before the activity ends
    /// relies on to keep that slot taken (`CommandSlots`): a running consumer keeps the
    /// limit it started with, and a consumer started afterwards counts only its own
    /// deliveries, against the limit set before it started.
    @Test func aPrefetchLimitBelongsToTheConsumerStartedAfterIt() async throws {
        let broker = try await TestServices.broker()
        let queue = TestServices.uniqueName("q")
        try await broker.declareQueue(queue)
        try await broker.enableConfirms()
        try await broker.publish((0..<6).map { AMQPMessage(routingKey: queue, body: Data("\($0)".utf8)) })
        func deliveries(within timeout: Duration) async throws -> [AMQPDelivery] {
            var taken: [AMQPDelivery] = []
            let end = ContinuousClock.now + timeout
            while ContinuousClock.now < end {
                if let delivery = try await broker.nextDelivery(timeout: .milliseconds(100)) { taken.append(delivery) }
            }
            return taken
        }
        try await broker.setPrefetch(2)
        let first = try await broker.consume(queue)
        let taken = try await deliveries(within: .milliseconds(800))
        #expect(taken.count == 2)
        #expect(taken.allSatisfy { $0.consumerTag == first })
        try await broker.setPrefetch(1)
        try await broker.ack(taken[0].deliveryTag)
        #expect(try await deliveries(within: .milliseconds(800)).count == 1)  // the running consumer keeps 2
        try await broker.cancelConsumer(first)
        let second = try await broker.consume(queue)
        let more = try await deliveries(within: .milliseconds(800))
        #expect(more.count == 1)  // 2 unacknowledged from the first consumer do not count
        #expect(more.first?.consumerTag == second)
        try await broker.deleteQueue(queue)
        await broker.close()
    }

    @Test func publishesWithConfirmsAndReadsBackWithHeaders() async throws {
        let broker = try await TestServices.broker()
        let queue = TestServices.uniqueName("q")
        try await broker.declareQueue(queue)
        try await broker.enableConfirms()
        try await broker.publish([
            AMQPMessage(routingKey: queue, body: Data("one".utf8), headers: ["k": "v"]),
            AMQPMessage(routingKey: queue, body: Data("two".utf8)),
        ])
        #expect(try await broker.messageCount(queue) == 2)
        let first = try #require(try await broker.get(queue))
        #expect(first.body == Data("one".utf8))
        #expect(first.headers == ["k": "v"])
        try await broker.ack(first.deliveryTag)
        let second = try #require(try await broker.get(queue))
        #expect(second.body == Data("two".utf8))
        try await broker.ack(second.deliveryTag)
        #expect(try await broker.get(queue) == nil)
        try await broker.deleteQueue(queue)
        await broker.close()
    }

    @Test func consumesWithManualAcksAndRedeliversWhatWasNotAcked() async throws {
        let queue = TestServices.uniqueName("q")
        let publisher = try await TestServices.broker()
        try await publisher.declareQueue(queue)
        try await publisher.enableConfirms()
        try await publisher.publish([AMQPMessage(routingKey: queue, body: Data("job".utf8))])

        let first = try await TestServices.broker()
        try await first.setPrefetch(1)
        try await first.consume(queue)
        var delivery: AMQPDelivery?
        for _ in 0..<50 where delivery == nil { delivery = try await first.nextDelivery(timeout: .milliseconds(100)) }
        #expect(delivery?.redelivered == false)
        await first.close()  // dies without acking

        let second = try await TestServices.broker()
        try await second.consume(queue)
        var again: AMQPDelivery?
        for _ in 0..<50 where again == nil { again = try await second.nextDelivery(timeout: .milliseconds(100)) }
        #expect(again?.body == Data("job".utf8))
        #expect(again?.redelivered == true)
        try await second.ack(try #require(again).deliveryTag)
        await second.close()
        try await publisher.deleteQueue(queue)
        await publisher.close()
    }

    @Test func anUnroutableMessageIsAnErrorNotASilentLoss() async throws {
        let broker = try await TestServices.broker()
        try await broker.enableConfirms()
        await #expect(throws: AMQPError.unroutable(routingKey: "no-such-queue-anywhere", text: "312 NO_ROUTE")) {
            try await broker.publish([AMQPMessage(routingKey: "no-such-queue-anywhere", body: Data())])
        }
        await broker.close()
    }

    @Test func aBrokerErrorCarriesTheBrokersText() async throws {
        let broker = try await TestServices.broker()
        await #expect(throws: AMQPError.self) { _ = try await broker.messageCount("queue-that-does-not-exist") }
        do {
            _ = try await broker.messageCount("queue-that-does-not-exist")
        } catch {
            #expect(error == .connectionClosed)  // the failed passive declare closed the channel for good
        }
    }

    @Test func aRefusedConnectionSaysWhereAndWhatToDo() async throws {
        do {
            _ = try await AMQPConnection.connect(to: AMQPEndpoint(url: "amqp://guest:secret@127.0.0.1:1"), name: "t")
            Issue.record("connected to port 1")
        } catch {
            let text = "\(error)"
            #expect(text.contains("127.0.0.1:1"))
            #expect(text.contains("make services-start"))
            #expect(!text.contains("secret"))
        }
    }

    @Test func wrongCredentialsAreReportedAsALoginProblem() async throws {
        var endpoint = try AMQPEndpoint(url: TestServices.brokerURL)
        endpoint.password = "wrong-password"
        do {
            _ = try await AMQPConnection.connect(to: endpoint, name: "t")
            Issue.record("logged in with a wrong password")
        } catch {
            #expect("\(error)".contains("login refused") || "\(error)".contains("ACCESS_REFUSED"))
            #expect(!"\(error)".contains("wrong-password"))
        }
    }
}
