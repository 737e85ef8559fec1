import ArgumentParser
import BatonAMQP
import BatonContracts
import Foundation

/// How long the broker takes to confirm one persistent message on a durable queue,
/// one after another: the floor under every checkpoint a worker waits for.
struct ConfirmLatencyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "confirm", abstract: "The broker's publisher-confirm latency for one persistent message.")

    @Option var messages = 200
    @Option(help: "Append the result as one JSON line to this file.") var jsonOut: String?

    func run() async throws {
        let url = ProcessInfo.processInfo.environment["BATON_BROKER_URL"] ?? "amqp://guest:guest@127.0.0.1:16572"
        let connection = try await AMQPConnection.connect(to: AMQPEndpoint(url: url), name: "baton-bench confirm")
        let queue = "bench_confirm_\(UUID().uuidString.prefix(6).lowercased())"
        try await connection.declareQueue(queue)
        try await connection.enableConfirms()
        let body = Data(String(repeating: "x", count: 1024).utf8)  // about a small checkpoint
        var samples: [Double] = []
        for _ in 0..<messages {
            let start = ContinuousClock.now
            try await connection.publish([AMQPMessage(routingKey: queue, body: body)])
            let elapsed = start.duration(to: .now)
            samples.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) * 1e-15)
        }
        try await connection.deleteQueue(queue)
        await connection.close()
        try BenchOutput.report(
            [
                "system": "baton", "workload": "confirm", "messages": .number(Double(messages)),
                "confirm_p50_ms": .number(percentile(samples, 50)), "confirm_p99_ms": .number(percentile(samples, 99)),
            ], jsonOut: jsonOut)
    }
}
