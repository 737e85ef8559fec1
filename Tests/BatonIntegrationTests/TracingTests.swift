import BatonContracts
import BatonHTTPClient
import BatonScriptedLLM
import ChildProcesses
import Foundation
import Testing

/// Issue #14: one trace per workflow attempt, from the API through the outbox and the
/// broker to the worker, its graph steps and its model calls, exported over OTLP/HTTP
/// by the real daemons to a collector the test runs.
@Suite struct TracingTests {
    /// The caller's own trace, which the submission continues (W3C `traceparent`).
    static let callerTraceId = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let callerSpanId = "00f067aa0ba902b7"

    enum Kind: Int { case internalSpan = 1, server, client, producer, consumer }

    /// `BATON_TEST_TELEMETRY_DIR`: where the run's trace (`trace.json`, its spans in
    /// start order as the collector got them) and scrapes (`*-metrics.txt`) are kept.
    static func save(_ spans: [OTLPCollectorStandIn.Span], scrapes: [String: String], to folder: String) throws {
        let url = URL(fileURLWithPath: folder)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let ordered = spans.sorted { (UInt64($0.startNanoseconds) ?? 0) < (UInt64($1.startNanoseconds) ?? 0) }
        try encoder.encode(ordered).write(to: url.appendingPathComponent("trace.json"))
        for (name, text) in scrapes {
            try text.write(to: url.appendingPathComponent("\(name)-metrics.txt"), atomically: true, encoding: .utf8)
        }
    }

    /// Apart from the test's long closure, whose last lines the compiler got wrong
    /// (a filter there kept the trace's first span instead of its model calls).
    static func checkModelCalls(in spans: [OTLPCollectorStandIn.Span]) {
        let byId = Dictionary(spans.map { ($0.spanId, $0) }, uniquingKeysWith: { first, _ in first })
        let chats = spans.filter { $0.name == "chat scripted" }
        #expect(chats.count == 5, "gather ×2, analyse ×2, draft: \(chats)")
        for chat in chats {
            #expect(chat.kind == Kind.client.rawValue)
            #expect(chat.string("gen_ai.operation.name") == "chat")
            #expect(chat.string("gen_ai.request.model") == "scripted")
            #expect(chat.int("gen_ai.usage.input_tokens") != nil)
            #expect(chat.int("gen_ai.usage.output_tokens") != nil)
            #expect(byId[chat.parentSpanId]?.name.hasPrefix("node ") == true, "\(chat)")
        }
    }

    @Test func oneTraceFollowsASubmissionThroughTheBrokerToTheWorkersStepsAndModelCalls() async throws {
        let worker = SchedulerCrashTests.root.appendingPathComponent(".build/debug/baton-worker")
        try #require(FileManager.default.isExecutableFile(atPath: worker.path), "build it with 'swift build'")
        try await OTLPCollectorStandIn.with { tracesURL, collector in
            try await ScriptedLLM.withServer(OperationsAgentCrashTests.rules) { llmURL, _ in
                let databaseURL = try await TestServices.freshDatabase()
                let queue = TestServices.uniqueName("agents")
                let (schedulerMetrics, workerMetrics) = (
                    Int.random(in: 32_000..<36_000), Int.random(in: 36_000..<40_000)
                )
                // The scheduler is configured by its environment, the worker by its file.
                let scheduler = try await SchedulerCrashTests.SchedulerProcess.start(
                    databaseURL: databaseURL, queue: queue, eventsQueue: queue + ".events",
                    port: Int.random(in: 20_000..<32_000),
                    environment: [
                        "BATON_TRACING_OTLP_ENDPOINT": tracesURL, "BATON_TRACING_PROTOCOL": "http/json",
                        "OTEL_BSP_SCHEDULE_DELAY": "100", "BATON_SCHEDULER_METRICS_PORT": String(schedulerMetrics),
                    ])
                let config = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "baton-worker-\(UUID().uuidString).yaml")
                try """
                broker_url: \(TestServices.brokerURL)
                queue: \(queue)
                events_queue: \(queue).events
                agents: [operations_analysis]
                providers:
                  default:
                    base_url: \(llmURL)
                    model: scripted
                metrics_port: \(workerMetrics)
                log_level: info
                log_format: json
                tracing:
                  otlp_endpoint: \(tracesURL)
                  protocol: http/json
                """.write(to: config, atomically: true, encoding: .utf8)
                defer { try? FileManager.default.removeItem(at: config) }
                var environment = ProcessInfo.processInfo.environment
                environment["OTEL_BSP_SCHEDULE_DELAY"] = "100"
                let workerProcess = try await ChildProcess.start(
                    worker.path, arguments: ["--config", config.path], environment: environment, output: .captured)
                _ = try await Stack.waitForCount(
                    databaseURL, "SELECT count(*) AS n FROM workers WHERE descriptors IS NOT NULL", atLeast: 1)

                let response = try await HTTPClient.send(
                    HTTPRequest(
                        method: "POST", url: scheduler.baseURL + "/v1/workflows",
                        headers: TestServices.authorization().merging([
                            "Content-Type": "application/json",
                            "traceparent": "00-\(Self.callerTraceId)-\(Self.callerSpanId)-01",
                        ]) { $1 },
                        body: try JSONEncoder().encode(
                            SubmitWorkflowRequest(
                                agent: "operations_analysis",
                                input: ["request": "Why are deliveries late?", "areas": ["logistics", "support"]]))))
                #expect(response.status == 201)
                let id = try Stack.decode(response).id
                _ = try await Stack.waitForCount(
                    databaseURL, "SELECT count(*) AS n FROM workflows WHERE id = '\(id)' AND status = 'completed'",
                    atLeast: 1)
                // The spans leave in batches every 100 ms; a graceful stop sends the rest.
                try await Stack.waitUntil("the worker's model call spans") {
                    collector.all.contains { $0.service == "baton-worker" && $0.name == "chat scripted" }
                        && collector.all.contains { $0.service == "baton-worker" && $0.name.hasPrefix("activity") }
                }
                // The run's scrapes, beside its trace.
                var scrapes: [String: String] = [:]
                for (name, port) in [("scheduler", schedulerMetrics), ("worker", workerMetrics)] {
                    let scraped = try await HTTPClient.send(HTTPRequest(url: "http://127.0.0.1:\(port)/metrics"))
                    scrapes[name] = String(decoding: scraped.body, as: UTF8.self)
                }
                await workerProcess.terminate()
                await scheduler.process.terminate()
                #expect(scrapes["scheduler"]?.contains("baton_workflows_finished_total{") == true)
                #expect(scrapes["worker"]?.contains("baton_llm_tokens_total{") == true)
                if let folder = ProcessInfo.processInfo.environment["BATON_TEST_TELEMETRY_DIR"] {
                    try Self.save(
                        collector.all.filter { $0.traceId == Self.callerTraceId }, scrapes: scrapes, to: folder)
                }

                let spans = collector.all.filter { $0.traceId == Self.callerTraceId }
                // API: the scheduler's server span continues the caller's.
                let request = try #require(
                    spans.first { $0.service == "baton-scheduler" && $0.kind == Kind.server.rawValue },
                    "the scheduler's request span; the caller's trace has \(spans)")
                #expect(request.parentSpanId == Self.callerSpanId)
                #expect(request.string("http.route") == "/v1/workflows")
                // The probes (the test's own wait for /healthz) are not traced.
                #expect(!collector.all.contains { $0.string("url.path") == "/healthz" })
                // Outbox → broker: the command's send span, inside the request's trace.
                let send = try #require(
                    spans.first { $0.kind == Kind.producer.rawValue && $0.string("baton.workflow.id") == id },
                    "the command's send span: \(spans)")
                #expect(send.service == "baton-scheduler")
                #expect(send.parentSpanId == request.spanId)
                #expect(send.string("messaging.system") == "rabbitmq")
                #expect(send.string("messaging.destination.name") == queue)
                // Broker → worker: the attempt, a consumer span whose parent is the send.
                let activity = try #require(
                    spans.first { $0.service == "baton-worker" && $0.kind == Kind.consumer.rawValue },
                    "the attempt's span: \(spans)")
                #expect(activity.name == "activity operations_analysis")
                #expect(activity.parentSpanId == send.spanId)
                #expect(activity.string("baton.workflow.id") == id)
                #expect(activity.int("baton.workflow.attempt") == 1)
                #expect(activity.string("baton.outcome") == "completed")
                // Graph steps: one span per node task, the two analyses side by side.
                let nodes = spans.filter { $0.name.hasPrefix("node ") }
                #expect(nodes.allSatisfy { $0.parentSpanId == activity.spanId }, "\(nodes)")
                let analyses = nodes.filter { $0.string("baton.graph.node") == "analyse" }
                #expect(analyses.count == 2, "\(nodes.map(\.name))")
                #expect(Set(analyses.compactMap { $0.string("baton.graph.task") }).count == 2)
                // Model calls: GenAI conventions, inside the node that made them.
                Self.checkModelCalls(in: spans)
                // The worker's lines of the attempt name the trace.
                let started = workerProcess.output.split(separator: "\n").first { $0.contains("activity started") }
                #expect(started?.contains(Self.callerTraceId) == true, "\(started ?? "no 'activity started' line")")
            }
        }
    }
}
