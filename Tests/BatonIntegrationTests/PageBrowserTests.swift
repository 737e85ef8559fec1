import BatonContracts
import ChildProcesses
import Foundation
import Testing

/// Issue #13: the page in a real headless Chromium (Debian's, which
/// scripts/services.sh installs), driven over the DevTools protocol by
/// scripts/page-check.py: sign in, open a run waiting for input, type an answer while
/// updates arrive, reload, answer, see it complete, at 420 px wide. Screenshots are
/// saved in .build/page-screenshots.
@Suite struct PageBrowserTests {
    @Test func aPersonAnswersARunInTheBrowserWhileItUpdates() async throws {
        try await Stack.run { stack in
            _ = try await stack.submit(
                SubmitWorkflowRequest(id: "asks-in-browser", agent: "chain", input: ["steps": 3, "ask_at": 1]))
            _ = try await stack.submit(SubmitWorkflowRequest(id: "another", agent: "chain", input: ["steps": 1]))
            let folder = SchedulerCrashTests.root.appendingPathComponent(".build/page-screenshots").path
            async let check = ChildProcess.run(
                "/usr/bin/env",
                arguments: [
                    "python3", SchedulerCrashTests.root.appendingPathComponent("scripts/page-check.py").path,
                    stack.baseURL, TestServices.keys["alice"]!.text, "asks-in-browser", folder,
                ])
            // Updates while the person types: other workflows come and go in the list.
            let traffic = Task {
                for index in 0..<20 {
                    _ = try? await stack.submit(
                        SubmitWorkflowRequest(id: "traffic-\(index)", agent: "chain", input: ["steps": 2]))
                    try await Task.sleep(for: .milliseconds(400))
                }
            }
            let outcome = try await check
            traffic.cancel()
            #expect(outcome.status == 0, "\(outcome.errors)")
            #expect(try await stack.workflow("asks-in-browser").status == .completed)
            let history = try await stack.client(as: "alice").history("asks-in-browser", after: 0, limit: 1000)
            let answer = history.first { $0.type == "human_input" }?.payload
            #expect(answer?["answer"]?["text"] == "Go ahead, checked by the page test")
            #expect(answer?["by"] == "alice")
            for name in ["1-typing-an-answer.png", "2-completed.png"] {
                #expect(FileManager.default.fileExists(atPath: folder + "/" + name), "\(name)")
            }
        }
    }
}
