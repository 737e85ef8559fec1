import BatonAMQP
import BatonContracts
import BatonPostgres
import Foundation
import Testing

/// The project's PostgreSQL and RabbitMQ also accept TLS, with a certificate for
/// `localhost` signed by a CA `scripts/services.sh` made (`BATON_TEST_TLS_DIR`), and an
/// unrelated CA beside it that must be refused.
enum TestTLS {
    static let folder = ProcessInfo.processInfo.environment["BATON_TEST_TLS_DIR"] ?? ".run/tls"
    static let certificateAuthority = folder + "/ca.pem"
    static let unrelatedAuthority = folder + "/other-ca.pem"
    static let amqpsPort = Int(ProcessInfo.processInfo.environment["BATON_TEST_AMQPS_PORT"] ?? "") ?? 16571

    /// `url` (a database of the project's PostgreSQL) by the certificate's name, verified.
    static func verifiedPostgresURL(_ url: String, authority: String = certificateAuthority) -> String {
        url.replacingOccurrences(of: "127.0.0.1", with: "localhost")
            + "?sslmode=verify-full&sslrootcert=\(authority)"
    }

    static func amqpsURL(
        host: String = "localhost", port: Int = amqpsPort, authority: String = certificateAuthority
    )
        -> String
    {
        "amqps://guest:guest@\(host):\(port)?cacertfile=\(authority)"
    }
}

@Suite struct AMQPEndpointTLSTests {
    @Test func anAmqpsURLVerifiesTheBrokerOnPort5671UnlessToldOtherwise() throws {
        let endpoint = try AMQPEndpoint(
            url: "amqps://u:p@broker.example:5671/prod?cacertfile=\(TestTLS.certificateAuthority)")
        #expect(endpoint.tls == AMQPTLSSettings(caCertificateFile: TestTLS.certificateAuthority))
        #expect(endpoint.virtualHost == "prod")
        #expect(endpoint.description == "amqps://u@broker.example:5671/prod")
        #expect(try AMQPEndpoint(url: "amqps://broker.example?cacertfile=\(TestTLS.certificateAuthority)").port == 5671)
        let unverified = try AMQPEndpoint(
            url: "amqps://h?cacertfile=\(TestTLS.certificateAuthority)&verify=verify_none")
        #expect(unverified.tls?.verifiesPeer == false)
    }

    @Test func everyURLMistakeIsReportedWithWhatToDo() {
        func problem(_ url: String) -> String {
            do {
                _ = try AMQPEndpoint(url: url)
                return "parsed"
            } catch {
                return "\(error)"
            }
        }
        #expect(problem("amqp://h?cacertfile=/x").contains("'cacertfile' in 'amqp://h?cacertfile=/x' is a TLS setting"))
        #expect(
            problem("amqps://h?cacertfile=/nonexistent/ca.pem").contains(
                "cacertfile '/nonexistent/ca.pem' cannot be read"))
        #expect(problem("amqps://h?cacert=/x").contains("unknown parameter 'cacert'; known: cacertfile, certfile"))
        #expect(problem("amqps://h?verify=maybe").contains("verify=maybe is neither verify_peer nor verify_none"))
        #expect(
            problem("amqps://h?certfile=\(TestTLS.certificateAuthority)").contains("certfile and keyfile go together"))
        #expect(problem("amqp://h1:5672,:5673").contains("names a host without a name"))
        #expect(problem("amqps://h?=").contains("unknown parameter ''"))
    }

    @Test func aURLMayNameTheNodesOfACluster() throws {
        let endpoint = try AMQPEndpoint(url: "amqp://u:secret@n1:5672,n2,n3:5674/v")
        #expect(
            endpoint.addresses == [
                .init(host: "n1", port: 5672), .init(host: "n2", port: 5672), .init(host: "n3", port: 5674),
            ])
        #expect(endpoint.description == "amqp://u@n1:5672,n2:5672,n3:5674/v")
    }
}

@Suite struct AMQPTLSConnectionTests {
    @Test func messagesGoBothWaysOverAVerifiedTLSConnection() async throws {
        let broker = try await AMQPConnection.connect(to: AMQPEndpoint(url: TestTLS.amqpsURL()), name: "tls-test")
        let queue = TestServices.uniqueName("q")
        try await broker.declareQueue(queue)
        // More than one TLS record's worth, so that a wait on the socket cannot miss data
        // already decrypted (the consumer's poll).
        let bodies = (0..<200).map { Data(String(repeating: "\($0 % 10)", count: 2_000 + $0).utf8) }
        try await broker.publish(bodies.map { AMQPMessage(routingKey: queue, body: $0) })
        try await broker.consume(queue)
        var received: [Data] = []
        while received.count < bodies.count, let delivery = try await broker.nextDelivery(timeout: .seconds(10)) {
            received.append(delivery.body)
            try await broker.ack(delivery.deliveryTag)
        }
        #expect(received == bodies)
        try await broker.deleteQueue(queue)
        await broker.close()
    }

    @Test func aBrokerWhoseCertificateCannotBeTrustedIsRefusedWithTheReason() async throws {
        func failure(_ url: String) async -> String {
            do {
                let connection = try await AMQPConnection.connect(to: AMQPEndpoint(url: url), name: "tls-test")
                await connection.close()
                return "connected"
            } catch {
                return "\(error)"
            }
        }
        let unrelated = await failure(TestTLS.amqpsURL(authority: TestTLS.unrelatedAuthority))
        #expect(unrelated.contains("is not signed by a CA in '\(TestTLS.unrelatedAuthority)'"), "\(unrelated)")
        let otherName = await failure(TestTLS.amqpsURL(host: "127.0.0.1"))
        #expect(otherName.contains("does not name '127.0.0.1'"), "\(otherName)")
        let plainPort = Int(TestServices.brokerURL.split(separator: ":").last ?? "") ?? 16572
        let plain = await failure(TestTLS.amqpsURL(port: plainPort))
        #expect(plain.contains("the broker's TLS listener"), "\(plain)")
    }

    @Test func aConnectionTakesTheFirstNodeOfAClusterThatAnswers() async throws {
        let port = Int(TestServices.brokerURL.split(separator: ":").last ?? "") ?? 16572
        let connection = try await AMQPConnection.connect(
            to: AMQPEndpoint(url: "amqp://guest:guest@127.0.0.1:1,127.0.0.1:\(port)"), name: "cluster-test")
        #expect(await connection.isOpen)
        await connection.close()
        do {
            _ = try await AMQPConnection.connect(
                to: AMQPEndpoint(url: "amqp://guest:guest@127.0.0.1:1,127.0.0.1:2"), name: "cluster-test")
            Issue.record("connected to ports 1 and 2")
        } catch {
            #expect("\(error)".contains("127.0.0.1:1: "))
            #expect("\(error)".contains("; 127.0.0.1:2: "))
        }
    }
}

@Suite struct PostgresTLSTests {
    @Test func verifyFullConnectsOverTLSToTheNameTheCertificateGives() async throws {
        let connection = try await PostgresConnection.connect(
            TestTLS.verifiedPostgresURL(TestServices.postgresURL), name: "tls-test")
        let row = try #require(
            try await connection.query("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()").first)
        #expect(row["ssl"] == "t")
        #expect(row["version"]?.hasPrefix("TLSv1.") == true)
        await connection.close()
    }

    @Test func verifyFullRefusesAnUntrustedCertificateOrAnotherName() async throws {
        func failure(_ url: String) async -> String {
            do {
                let connection = try await PostgresConnection.connect(url, name: "tls-test")
                await connection.close()
                return "connected"
            } catch {
                return "\(error)"
            }
        }
        let unrelated = await failure(
            TestTLS.verifiedPostgresURL(TestServices.postgresURL, authority: TestTLS.unrelatedAuthority))
        #expect(unrelated.contains("certificate verify failed"), "\(unrelated)")
        let otherName = await failure(
            TestServices.postgresURL + "?sslmode=verify-full&sslrootcert=\(TestTLS.certificateAuthority)")
        #expect(otherName.contains("does not match host name \"127.0.0.1\""), "\(otherName)")
    }

    /// The daemons themselves over TLS to both: a workflow runs as it does in the clear.
    @Test func aWorkflowCompletesWithTheSchedulerAndWorkerOnTLS() async throws {
        try await Stack.run(
            schedulerBrokerURL: TestTLS.amqpsURL(), workerBrokerURL: TestTLS.amqpsURL(),
            schedulerDatabaseURL: { TestTLS.verifiedPostgresURL($0) }
        ) { stack in
            let submitted = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: ["steps": 3])).view
            let view = try await stack.waitUntilFinished(submitted.id)
            #expect(view.status == .completed)
            #expect(view.checkpointStep == 3)
        }
    }
}
