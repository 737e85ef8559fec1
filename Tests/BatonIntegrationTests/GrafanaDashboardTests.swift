import BatonContracts
import BatonHTTPClient
import ChildProcesses
import Foundation
import Testing

/// `docker/grafana/baton-dashboard.json` queries only series the daemons export: the
/// debug `baton-scheduler` and `baton-worker` run one workflow, and every name in a
/// panel's query is looked up in their scrapes. A renamed metric fails here instead of
/// leaving an operator with an empty panel.
@Suite struct GrafanaDashboardTests {
    static let dashboard = SchedulerCrashTests.root.appendingPathComponent("docker/grafana/baton-dashboard.json")

    /// The series a query names: Baton's own, Hummingbird's request metrics, the process's.
    static func seriesNames(in expression: String) -> Set<String> {
        let pattern = /\b(?:baton|hb|http_server|process)_[a-z0-9_]+\b/
        return Set(expression.matches(of: pattern).map { String($0.output) })
    }

    /// The series of a Prometheus text exposition (`name{labels} value` or `name value`).
    static func scrapedNames(_ text: String) -> Set<String> {
        Set(
            text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
                line.split(whereSeparator: { $0 == "{" || $0 == " " }).first.map(String.init)
            })
    }

    static func queries() throws -> [(panel: String, expression: String)] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dashboard)) as? [String: Any]
        let panels = try #require(json?["panels"] as? [[String: Any]])
        return panels.flatMap { panel in
            let title = panel["title"] as? String ?? "?"
            let targets = panel["targets"] as? [[String: Any]] ?? []
            return targets.compactMap { target in (target["expr"] as? String).map { (title, $0) } }
        }
    }

    @Test func everySeriesTheDashboardQueriesIsInTheDaemonsScrapes() async throws {
        let queries = try Self.queries()
        #expect(queries.count >= 10)
        let databaseURL = try await TestServices.freshDatabase()
        let queue = TestServices.uniqueName("agents")
        let eventsQueue = queue + ".events"
        let (apiPort, schedulerMetrics, workerMetrics) = (
            Int.random(in: 20_000..<26_000), Int.random(in: 26_000..<29_000), Int.random(in: 29_000..<32_000)
        )
        let scheduler = try await SchedulerCrashTests.SchedulerProcess.start(
            databaseURL: databaseURL, queue: queue, eventsQueue: eventsQueue, port: apiPort,
            environment: ["BATON_SCHEDULER_METRICS_PORT": String(schedulerMetrics)])
        let worker = try await WorkerLifecycleTests.startWorkerProcess(
            queue: queue, eventsQueue: eventsQueue, environment: ["BATON_WORKER_METRICS_PORT": String(workerMetrics)])
        do {
            try await Self.runOneWorkflowAndCompare(
                queries, api: scheduler.baseURL, databaseURL: databaseURL,
                scrapes: [schedulerMetrics, workerMetrics])
        } catch {
            await worker.terminate()
            await scheduler.process.terminate()
            throw error
        }
        await worker.terminate()
        await scheduler.process.terminate()
    }

    private static func runOneWorkflowAndCompare(
        _ queries: [(panel: String, expression: String)], api: String, databaseURL: String, scrapes ports: [Int]
    ) async throws {
        _ = try await Stack.waitForCount(
            databaseURL, "SELECT count(*) AS n FROM workers WHERE descriptors IS NOT NULL", atLeast: 1)
        let client = TestServices.client(api)
        var view = try await client.submit(SubmitWorkflowRequest(agent: "chain", input: ["steps": 3]))
        let end = ContinuousClock.now + .seconds(120)
        while !view.status.isTerminal && ContinuousClock.now < end {
            try await Task.sleep(for: .milliseconds(100))
            view = try await client.workflow(view.id)
        }
        #expect(view.status == .completed)
        var scraped: Set<String> = []
        for port in ports {
            let response = try await HTTPClient.send(HTTPRequest(url: "http://127.0.0.1:\(port)/metrics"))
            #expect(response.status == 200, "port \(port)")
            scraped.formUnion(Self.scrapedNames(String(decoding: response.body, as: UTF8.self)))
        }
        for (panel, expression) in queries {
            let names = Self.seriesNames(in: expression)
            #expect(!names.isEmpty, "panel '\(panel)' queries no Baton series: \(expression)")
            for name in names.subtracting(scraped) {
                Issue.record("panel '\(panel)' queries \(name), which no daemon exports")
            }
        }
    }
}
