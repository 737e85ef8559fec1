import BatonContracts
import BatonHTTPClient
import BatonPostgres
import Foundation

/// What the driver saw of one workflow (a planned one or a child of a family).
struct ChaosWorkflowTrack: Sendable {
    var id: String
    var kind: ChaosWorkflowKind
    /// Nil for children.
    var plan: ChaosWorkflowPlan?
    var parentId: String?
    var submitted = false
    var submitErrors = 0
    var childIds: [String] = []
    var awaitingSince: Date?
    var answered = false
    var cancelOutcome: String?
    var status: WorkflowStatus?
    /// The first terminal status the driver saw; it must never change.
    var firstTerminal: WorkflowStatus?
    var laterStatuses: [WorkflowStatus] = []

    /// A cancel is planned for it and it was submitted, but no answer to the cancel was recorded.
    var awaitsCancelAnswer: Bool { submitted && plan?.cancelDelay != nil && cancelOutcome == nil }
}

/// Submits the planned workflows at their times, answers questions, cancels, and
/// watches every workflow's status through the database until all have ended or the
/// deadline passes. Every action against the API is retried on the next tick when
/// no replica answers (an outage), so nothing the plan asks for is skipped silently.
actor ChaosDriver {
    private let cluster: ChaosCluster
    private let databaseURL: String
    private let executionLog: String
    private let runStart: ContinuousClock.Instant
    private(set) var tracks: [String: ChaosWorkflowTrack] = [:]
    private var order: [String] = []
    private var nextReplica = 0
    private(set) var pollErrors = 0
    private(set) var apiErrors = 0

    init(cluster: ChaosCluster, databaseURL: String, executionLog: String, runStart: ContinuousClock.Instant) {
        self.cluster = cluster
        self.databaseURL = databaseURL
        self.executionLog = executionLog
        self.runStart = runStart
    }

    /// Runs until every workflow has ended and `minimum` has passed, or `deadline`.
    /// Returns false when the deadline cut it short.
    func run(_ plan: ChaosPlan, minimum: Duration, deadline: Duration) async -> Bool {
        for workflow in plan.workflows {
            tracks[workflow.id] = ChaosWorkflowTrack(id: workflow.id, kind: workflow.kind, plan: workflow)
            order.append(workflow.id)
        }
        var lastReport = 0.0
        while ContinuousClock.now < runStart + deadline {
            let elapsed = (ContinuousClock.now - runStart).seconds
            if elapsed - lastReport >= 15 {
                lastReport = elapsed
                chaosLog(String(format: "chaos: %6.1f s ", elapsed) + progress())
            }
            await submitDue(elapsed: elapsed)
            await poll()
            await answerDue()
            await cancelDue(elapsed: elapsed)
            if ContinuousClock.now >= runStart + minimum, tracks.values.allSatisfy({ $0.firstTerminal != nil }) {
                // A planned cancel that never got an answer (sent into an outage, or not
                // yet due when its workflow ended) is sent now, so that its refusal is
                // recorded: without it, a workflow that ended before its cancel reached
                // the scheduler looked like one that ignored an accepted cancel.
                await cancelDue(elapsed: .infinity, everyEnded: true)
                if !tracks.values.contains(where: \.awaitsCancelAnswer) { return true }
            }
            try? await Task.sleep(for: .milliseconds(300))
        }
        return false
    }

    private func progress() -> String {
        var counts: [String: Int] = [:]
        for track in tracks.values {
            counts[track.status?.rawValue ?? (track.submitted ? "accepted" : "planned"), default: 0] += 1
        }
        return counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    }

    // MARK: API

    private func replica() async -> String? {
        let urls = await cluster.liveSchedulerURLs
        guard !urls.isEmpty else { return nil }
        nextReplica += 1
        return urls[nextReplica % urls.count]
    }

    /// POSTs `body` to a live replica; nil when none answered.
    private func post(_ path: String, _ body: some Encodable) async -> HTTPResponse? {
        guard let base = await replica(), let data = try? JSONEncoder().encode(body) else { return nil }
        let request = HTTPRequest(
            method: "POST", url: base + path,
            headers: BenchStack.authorization.merging(["Content-Type": "application/json"]) { $1 }, body: data,
            timeout: .seconds(5))
        do {
            let response = try await HTTPClient.send(request)
            if response.status >= 500 { apiErrors += 1 }
            return response
        } catch {
            apiErrors += 1
            return nil
        }
    }

    private func submitDue(elapsed: Double) async {
        for id in order {
            guard let track = tracks[id], let plan = track.plan else { continue }
            if !track.submitted, plan.submitAt <= elapsed {
                let request = SubmitWorkflowRequest(
                    id: plan.id, agent: "chain", input: plan.input(executionLog: executionLog), options: plan.options)
                if let response = await post("/v1/workflows", request), (200..<300).contains(response.status) {
                    tracks[id]?.submitted = true
                } else {
                    tracks[id]?.submitErrors += 1
                }
            }
            if tracks[id]?.submitted == true, track.childIds.count < plan.childSteps.count {
                await submitChildren(of: plan)
            }
        }
    }

    /// Children are submitted with a key each: a retry after a lost answer finds the same child.
    private func submitChildren(of parent: ChaosWorkflowPlan) async {
        for (index, steps) in parent.childSteps.enumerated() where (tracks[parent.id]?.childIds.count ?? 0) == index {
            var child = parent
            child.steps = steps
            child.askAt = nil
            let request = SubmitWorkflowRequest(
                id: "c\(index)", agent: "chain", input: child.input(executionLog: executionLog),
                options: parent.options, parentId: parent.id)
            guard let response = await post("/v1/workflows", request), (200..<300).contains(response.status),
                let view = try? JSONDecoder().decode(JSONValue.self, from: response.body),
                let childId = view["id"]?.stringValue
            else {
                tracks[parent.id]?.submitErrors += 1
                return
            }
            tracks[parent.id]?.childIds.append(childId)
            if tracks[childId] == nil {
                tracks[childId] = ChaosWorkflowTrack(id: childId, kind: .family, parentId: parent.id, submitted: true)
                order.append(childId)
            }
        }
    }

    private func answerDue() async {
        for id in order {
            guard let track = tracks[id], let delay = track.plan?.answerDelay, !track.answered,
                track.status == .awaitingInput, let since = track.awaitingSince,
                Date().timeIntervalSince(since) >= delay
            else { continue }
            let answer = HumanInputRequest(answer: ["choice": "go"])
            guard let response = await post("/v1/workflows/\(id)/input", answer) else { continue }
            // 409: no longer waiting (the status seen was stale); the next poll tells.
            if (200..<300).contains(response.status) { tracks[id]?.answered = true }
        }
    }

    /// `everyEnded`: every workflow has ended, so a family's cancel need not wait for its
    /// children (it only records the refusal).
    private func cancelDue(elapsed: Double, everyEnded: Bool = false) async {
        for id in order {
            guard let track = tracks[id], let plan = track.plan, let delay = plan.cancelDelay,
                track.submitted, track.cancelOutcome == nil, plan.submitAt + delay <= elapsed,
                everyEnded || track.childIds.count == plan.childSteps.count
            else { continue }
            guard let response = await post("/v1/workflows/\(id)/cancel", CancelWorkflowRequest(reason: "chaos driver"))
            else { continue }
            switch response.status {
            case 200..<300: tracks[id]?.cancelOutcome = "accepted"
            case 409: tracks[id]?.cancelOutcome = "refused: already ended"
            default: apiErrors += 1
            }
        }
    }

    // MARK: Watching

    private func poll() async {
        let rows: PostgresRows
        do {
            let connection = try await PostgresConnection.connect(databaseURL, name: "chaos-driver")
            defer { Task { await connection.close() } }
            rows = try await connection.query("SELECT id, status FROM workflows")
        } catch {
            pollErrors += 1
            return
        }
        for row in rows.all {
            guard let id = row["id"], tracks[id] != nil, let text = row["status"],
                let status = WorkflowStatus(rawValue: text)
            else { continue }
            tracks[id]?.status = status
            if status == .awaitingInput {
                if tracks[id]?.awaitingSince == nil { tracks[id]?.awaitingSince = Date() }
            } else {
                tracks[id]?.awaitingSince = nil
            }
            if let first = tracks[id]?.firstTerminal {
                if status != first { tracks[id]?.laterStatuses.append(status) }
            } else if status.isTerminal {
                tracks[id]?.firstTerminal = status
            }
        }
    }
}
