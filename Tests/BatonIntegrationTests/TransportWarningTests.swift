import BatonAMQP
import BatonPostgres
import Testing

/// libpq's default `sslmode=prefer` and a plain `amqp://` work across a network, and
/// expose passwords or trust any server there: the daemons say so at start.
@Suite struct TransportWarningTests {
    @Test func aDatabaseAcrossTheNetworkWithoutVerifyFullIsWarnedAbout() {
        #expect(PostgresTransportSecurity.warning(for: "postgresql://baton:pw@db.internal:5432/baton") != nil)
        #expect(
            PostgresTransportSecurity.warning(for: "postgresql://baton@db1:5432,db2:5432/baton?sslmode=require")?
                .contains("db1, db2") == true)
        #expect(PostgresTransportSecurity.warning(for: "host=db.internal dbname=baton") != nil)
        #expect(
            PostgresTransportSecurity.warning(
                for: "postgresql://baton@db.internal/baton?sslmode=verify-full&sslrootcert=/ca.pem") == nil)
        #expect(PostgresTransportSecurity.warning(for: "postgresql://postgres@127.0.0.1:16439/baton") == nil)
        #expect(PostgresTransportSecurity.warning(for: "postgresql://postgres@localhost/baton") == nil)
        #expect(PostgresTransportSecurity.warning(for: "postgresql:///baton?host=/var/run/postgresql") == nil)
        #expect(PostgresTransportSecurity.warning(for: "postgresql://[::1]:5432/baton") == nil)
    }

    @Test func aBrokerAcrossTheNetworkInTheClearOrUnverifiedIsWarnedAbout() throws {
        #expect(try AMQPEndpoint(url: "amqp://u:p@rabbit.internal").transportWarning?.contains("in the clear") == true)
        #expect(try AMQPEndpoint(url: "amqp://u:p@127.0.0.1:5672").transportWarning == nil)
        let unverified = try AMQPEndpoint(url: "amqps://u:p@rabbit.internal?verify=verify_none")
        #expect(unverified.transportWarning?.contains("verify_none") == true)
        #expect(try AMQPEndpoint(url: "amqps://u:p@rabbit.internal").transportWarning == nil)
    }
}
