import BatonContracts
import BatonHTTPClient
import BatonSchedulerClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import BatonScheduler

/// Issue #13: live streams. The scheduler's routes on a real port of loopback, over the
/// real engine and repository on PostgreSQL, read by the API client a person's CLI uses.
@Suite struct WorkflowStreamTests {
    static func client(_ port: Int?, as holder: String) throws -> SchedulerClient {
        SchedulerClient(baseURL: "http://127.0.0.1:\(try #require(port))", credential: AuthenticationTests.key(holder))
    }

    static func submit(_ id: String, tenant: String = "default", on routes: RoutesHarness) async throws {
        var request = SubmitWorkflowRequest(id: id, agent: "chain")
        request.caller = "alice"
        guard case .created = try await routes.engine.submit(request, tenant: tenant) else {
            Issue.record("\(id) was not created")
            return
        }
    }

    static func collect(
        _ stream: AsyncThrowingStream<WorkflowStreamEvent, any Error>
    ) async throws -> [WorkflowStreamEvent] {
        var events: [WorkflowStreamEvent] = []
        for try await event in stream { events.append(event) }
        return events
    }

    static func sequences(_ events: [WorkflowStreamEvent]) -> [Int] {
        events.compactMap { if case .history(let entry) = $0 { entry.sequence } else { nil } }
    }

    /// The stream of a finished workflow: the workflow, every entry in order with its
    /// sequence as the id, then `end`; resuming after an entry sends only the later ones.
    @Test func aStreamSendsTheWorkflowThenItsHistoryInOrderThenTheEnd() async throws {
        let routes = try await RoutesHarness(apiKeys: AuthenticationTests.configured)
        try await Self.submit("s-1", on: routes)
        try await routes.report("s-1", .started)
        try await routes.report("s-1", .completed(output: ["answer": 42]))
        try await routes.liveApp.test(.live) { client in
            let api = try Self.client(client.port, as: "alice")
            let events = try await Self.collect(try await api.events(of: "s-1"))
            guard case .workflow(let first)? = events.first, case .end(let last)? = events.last else {
                Issue.record("the stream was \(events)")
                return
            }
            #expect(first.id == "s-1")
            #expect(last.status == .completed)
            #expect(last.result == ["answer": 42])
            let history = try await api.history("s-1", after: 0, limit: 1000)
            #expect(Self.sequences(events) == history.map(\.sequence))
            #expect(history.map(\.type) == ["submitted", "dispatched", "started", "completed"])

            let resumed = try await Self.collect(try await api.events(of: "s-1", after: history[1].sequence))
            #expect(Self.sequences(resumed) == history.dropFirst(2).map(\.sequence))
        }
    }

    /// Followed while it runs: progress, a question and the answer's effects arrive as
    /// they happen, and the stream ends with the workflow.
    @Test func aRunningWorkflowIsFollowedLive() async throws {
        let routes = try await RoutesHarness(apiKeys: AuthenticationTests.configured)
        try await Self.submit("s-2", on: routes)
        try await routes.liveApp.test(.live) { client in
            let api = try Self.client(client.port, as: "alice")
            let stream = try await api.events(of: "s-2")
            let driver = Task {
                try await Task.sleep(for: .milliseconds(300))
                try await routes.report("s-2", .started)
                try await routes.report(
                    "s-2",
                    .progress(ActivityProgress(node: "step_1", step: 1, phase: "gather", percent: 40, label: "reading"))
                )
                try await Task.sleep(for: .milliseconds(300))
                try await routes.report("s-2", .completed(output: [:]))
            }
            let events = try await Self.collect(stream)
            try await driver.value
            let views = events.compactMap { if case .workflow(let view) = $0 { view } else { nil } }
            #expect(views.first?.status == .dispatched)
            #expect(views.contains { $0.progress?.phase == "gather" && $0.progress?.percent == 40 })
            guard case .end(let last)? = events.last else {
                Issue.record("the stream did not end: \(events)")
                return
            }
            #expect(last.status == .completed)
        }
    }

    /// Another tenant's workflow has no stream (a 404, as for a read), and the tenant
    /// stream shows each tenant only its own workflows.
    @Test func streamsNeverShowAnotherTenantsWorkflows() async throws {
        let routes = try await RoutesHarness(apiKeys: AuthenticationTests.configured)
        try await Self.submit("ours", on: routes)
        try await routes.liveApp.test(.live) { client in
            let mallory = try Self.client(client.port, as: "mallory")
            do {
                _ = try await mallory.events(of: "ours")
                Issue.record("another tenant's workflow was streamed")
            } catch let error as SchedulerClientError {
                #expect(error.status == 404)
                #expect(error.code == "not_found")
            }

            let alice = try Self.client(client.port, as: "alice")
            let seen = Task {
                var ids: [String] = []
                for try await change in try await alice.changes(after: 0) {
                    ids.append(change.workflow.id)
                    if change.workflow.id == "ours-2" { break }
                }
                return ids
            }
            let theirs = Task {
                var ids: [String] = []
                for try await change in try await mallory.changes(after: 0) {
                    ids.append(change.workflow.id)
                    if change.workflow.id == "theirs-2" { break }
                }
                return ids
            }
            // From the start of the history (a stream from "now" could begin after the
            // first submission on a loaded machine): each sees its own tenant's only.
            try await Self.submit("theirs", tenant: "elsewhere", on: routes)
            try await routes.report("ours", .started)
            try await Self.submit("ours-2", on: routes)
            try await Self.submit("theirs-2", tenant: "elsewhere", on: routes)
            let ours = try await seen.value
            let others = try await theirs.value
            #expect(Set(ours) == ["ours", "ours-2"])  // "ours" was submitted before the streams began
            #expect(Set(others) == ["theirs", "theirs-2"])
        }
    }

    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    @Test func aLastEventIDThatIsNoPositionIsRefused() async throws {
        let routes = try await RoutesHarness(apiKeys: AuthenticationTests.configured)
        try await Self.submit("s-3", on: routes)
        try await routes.app.test(.router) { client in
            // With a comma, the generated code read the value as a list and gave none:
            // the stream restarted instead (schemathesis).
            for bad in ["abc", "-1", "1e3", String(repeating: "0", count: 33), "1,2", "<JbV0<*tcL}T|A%JKjj,M"] {
                try await client.execute(
                    uri: "/v1/workflows/s-3/events", method: .get,
                    headers: [.authorization: "Bearer \(AuthenticationTests.key("alice"))", Self.lastEventID: bad]
                ) {
                    #expect($0.status == .badRequest, "\(bad)")
                    #expect(AuthenticationTests.body($0)["code"] == "invalid_request")
                }
            }
            try await client.execute(
                uri: "/v1/events", method: .get,
                headers: [.authorization: "Bearer \(AuthenticationTests.key("alice"))", Self.lastEventID: "x"]
            ) { #expect($0.status == .badRequest) }
        }
    }
}
