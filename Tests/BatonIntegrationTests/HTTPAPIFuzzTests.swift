import BatonContracts
import BatonFuzzMutations
import BatonHTTPClient
import Foundation
import Testing

/// Issue: fuzz the HTTP API with random and mutated bodies, options, paths and query
/// strings (a seeded generator: the API has no OpenAPI document yet). Against a real
/// scheduler: no 5xx (the database is up), every 4xx says why in `{"error": {"message"}}`,
/// and the scheduler keeps serving — a valid workflow submitted at the end completes.
@Suite struct HTTPAPIFuzzTests {
    static let seed: UInt64 = 20_261_201
    static let requests = 300

    static let submitSamples: [JSONValue] = [
        ["agent": "chain", "input": ["steps": 1]],
        ["id": "fz-sample", "agent": "chain", "input": ["steps": 2], "caller": "admin"],
        [
            "agent": "chain", "input": ["steps": 1],
            "options": [
                "heartbeatIntervalSeconds": 2, "heartbeatTimeoutSeconds": 10, "scheduleToStartTimeoutSeconds": 60,
                "startToCloseTimeoutSeconds": 600, "executionTimeoutSeconds": 3_600, "cancelGraceSeconds": 5,
                "maximumWorkerCrashes": 2,
                "retry": [
                    "initialIntervalSeconds": 1, "backoffCoefficient": 2, "maximumIntervalSeconds": 10,
                    "maximumAttempts": 3, "nonRetryableErrorKinds": ["agent_error"], "jitter": 0.2,
                ],
            ],
        ],
        ["agent": "chain", "parentId": "fz-wait-0", "input": [:]],
    ]
    static let answerSamples: [JSONValue] = [
        ["answer": "go on"], ["answer": ["choice": "continue", "text": "fine"]], ["answer": ["text": "ok"]],
    ]
    static let cancelSamples: [JSONValue] = [["reason": "operator"], [:]]
    static let statuses = ["pending", "running", "completed", "RUNNING", "", "awaiting_input", "nope", "%00"]
    static let numbers = ["1", "0", "-1", "1000", "1001", "abc", "1e3", "99999999999999999999", "", "%20"]

    /// A random path of the read API, with odd ids and query strings.
    static func readPath(_ random: inout SeededMutations, ids: [String]) -> String {
        let id = random.element(
            of: ids + ["no-such-id", "has%20space", "%00", String(repeating: "a", count: 300), "-x"])
        var query: [String] = []
        for _ in 0..<random.below(4) {
            switch random.below(5) {
            case 0: query.append("status=" + random.element(of: statuses))
            case 1: query.append("limit=" + random.element(of: numbers))
            case 2: query.append("after=" + random.element(of: numbers))
            case 3: query.append("parent=" + random.element(of: ids + ["bad%20id", "", "%0A"]))
            default: query.append(random.element(of: ["x=1", "limit", "=", "&&", "status=running&status=failed"]))
            }
        }
        let path = random.element(of: [
            "/v1/workflows", "/v1/workflows/\(id)", "/v1/workflows/\(id)/history", "/v1/workflows/\(id)/nothing",
            "/v1/workflows//", "/v1/nothing", "/v1/workflows/\(id)/history/extra",
        ])
        return query.isEmpty ? path : path + "?" + query.joined(separator: "&")
    }

    static func body(_ random: inout SeededMutations, samples: [JSONValue]) -> Data {
        switch random.below(12) {
        case 0: return random.randomBytes()
        case 1: return Data()
        case 2: return Data(String(repeating: "[", count: 70).utf8) + Data(String(repeating: "]", count: 70).utf8)
        default: return random.mutate(random.element(of: samples))
        }
    }

    /// One request; `ids` are workflows that exist, some waiting for input.
    static func request(_ random: inout SeededMutations, index: Int, ids: [String], baseURL: String) -> HTTPRequest {
        let id = random.element(of: ids + ["no-such-id", "bad id"]).replacingOccurrences(of: " ", with: "%20")
        var headers = ["Content-Type": random.element(of: ["application/json", "application/json", "text/plain", ""])]
        let method: String
        let path: String
        var payload: Data?
        switch random.below(16) {
        case 0, 1, 2, 3, 4:
            method = "POST"
            path = "/v1/workflows"
            var submit = body(&random, samples: submitSamples)
            // Fresh ids, so that most valid bodies create a workflow instead of conflicting.
            submit = Data(
                String(decoding: submit, as: UTF8.self).replacingOccurrences(of: "fz-sample", with: "fz-\(index)").utf8)
            payload = submit
        case 5, 6, 7:
            method = "POST"
            path = "/v1/workflows/\(id)/input"
            payload = body(&random, samples: answerSamples)
        case 8, 9:
            method = "POST"
            path = "/v1/workflows/\(id)/cancel"
            payload = random.below(3) == 0 ? Data() : body(&random, samples: cancelSamples)
        case 10:
            // Past the request size limit (1 MiB by default).
            method = "POST"
            path = "/v1/workflows"
            payload =
                Data(#"{"agent": "chain", "input": ""#.utf8) + Data(repeating: UInt8(ascii: "x"), count: 1_100_000)
                + Data(#""}"#.utf8)
        default:
            method = random.element(of: ["GET", "GET", "GET", "POST", "DELETE"])
            path = readPath(&random, ids: ids)
            headers = [:]
        }
        // Most requests carry the key, as a client would; some carry none or a forged one.
        let credential = random.element(of: [
            TestServices.authorization(), TestServices.authorization(), TestServices.authorization(), [:],
            ["Authorization": "Bearer bk_0000000000000000_" + String(repeating: "0", count: 64)],
        ])
        return HTTPRequest(
            method: method, url: baseURL + path, headers: headers.merging(credential) { old, _ in old }, body: payload,
            timeout: .seconds(20))
    }

    /// A 4xx must say why, in the API's error shape. Read as `SchedulerClient` reads it
    /// (Foundation's decoder): a message may echo a NUL from the query, which Baton's own
    /// reader refuses to store but a client can show.
    static func errorMessage(_ response: HTTPResponse) -> String? {
        guard let json = try? JSONDecoder().decode(JSONValue.self, from: response.body) else { return nil }
        guard let message = json["message"]?.stringValue, !message.isEmpty else { return nil }
        return message
    }

    /// Whether the scheduler defines a route for this method and path (ids: one non-empty segment).
    static func isRoute(_ method: String, _ url: String, baseURL: String) -> Bool {
        let path = url.dropFirst(baseURL.count).split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard segments.count >= 2, segments.prefix(2).elementsEqual(["v1", "workflows"]) else { return false }
        let rest = Array(segments.dropFirst(2))
        switch (method, rest.count) {
        case (_, 0): return method == "GET" || method == "POST"
        case ("GET", 1): return !rest[0].isEmpty
        case ("GET", 2): return !rest[0].isEmpty && rest[1] == "history"
        case ("POST", 2): return !rest[0].isEmpty && (rest[1] == "cancel" || rest[1] == "input")
        default: return false
        }
    }

    func waitForStatus(_ stack: Stack, _ id: String, _ status: WorkflowStatus) async throws {
        for _ in 0..<600 {
            if try await stack.workflow(id).status == status { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("\(id) never reached \(status)")
    }

    @Test func randomAndMutatedRequestsGetNo5xxAndEvery4xxSaysWhy() async throws {
        try await Stack.run(workers: 1, concurrency: 8) { stack in
            var ids: [String] = []
            for index in 0..<3 {
                let id = "fz-wait-\(index)"
                let created = try await stack.submit(
                    SubmitWorkflowRequest(id: id, agent: "chain", input: ["steps": 2, "ask_at": 1]))
                #expect(created.status == 201)
                ids.append(id)
            }
            for id in ids { try await waitForStatus(stack, id, .awaitingInput) }

            var random = SeededMutations(seed: Self.seed)
            var counts: [Int: Int] = [:]
            var unanswered = 0
            var bareNotFound: [String] = []
            for index in 0..<Self.requests {
                let request = Self.request(&random, index: index, ids: ids, baseURL: stack.baseURL)
                let response: HTTPResponse
                do {
                    response = try await HTTPClient.send(request)
                } catch {
                    unanswered += 1  // libcurl refused the URL itself; nothing reached the scheduler
                    continue
                }
                counts[response.status, default: 0] += 1
                let what =
                    "request \(index): \(request.method) \(request.url.prefix(200)) \(String(decoding: (request.body ?? Data()).prefix(200), as: UTF8.self))"
                #expect(
                    response.status < 500,
                    "\(what) → \(response.status) \(String(decoding: response.body.prefix(300), as: UTF8.self))")
                if response.status == 404, response.body.isEmpty,
                    !Self.isRoute(request.method, request.url, baseURL: stack.baseURL)
                {
                    // Finding: the router's own 404 (no route for the method and path) has no body.
                    bareNotFound.append("\(request.method) \(request.url.dropFirst(stack.baseURL.count).prefix(120))")
                } else if (400..<500).contains(response.status) {
                    #expect(
                        Self.errorMessage(response) != nil,
                        "\(what) → \(response.status) without a JSON reason: \(String(decoding: response.body.prefix(300), as: UTF8.self))"
                    )
                }
                if index % 50 == 49 { #expect(try await stack.get("/healthz").status == 200) }
            }
            print(
                "HTTP API fuzz: \(Self.requests) requests, \(unanswered) refused by the client, statuses \(counts.sorted { $0.key < $1.key })"
            )
            #expect(unanswered < Self.requests / 10)
            #expect(bareNotFound.isEmpty, "\(bareNotFound.count) bare 404s, e.g. \(bareNotFound.prefix(3))")

            #expect(try await stack.get("/healthz").status == 200)
            let last = try await stack.submit(SubmitWorkflowRequest(id: "fz-last", agent: "chain", input: ["steps": 2]))
            #expect(last.status == 201)
            #expect(try await stack.waitUntilFinished("fz-last").status == .completed)
        }
    }
}
