import BatonAgents
import BatonContracts
import BatonGraph
import BatonLLM
import BatonScriptedLLM
import Foundation
import Synchronization

/// The scripted model's answers for the operations agents, phase by phase.
enum OperationsScript {
    static let rules: [LLMScript.Rule] = [
        .init(
            match: "PLAN:", reply: .init(content: #"{"areas": ["logistics", "support"], "focus": "late deliveries"}"#)),
        .init(
            match: "GATHER:", lastRole: "user",
            reply: .init(toolCalls: [
                .init(name: "get_kpis", arguments: ["area": "logistics"]),
                .init(name: "list_incidents", arguments: ["area": "logistics"]),
                .init(name: "get_kpis", arguments: ["area": "support"]),
            ])),
        .init(match: "GATHER:", lastRole: "tool", reply: .init(content: "Gathered figures for logistics and support.")),
        .init(match: "SCOPE:", reply: .init(content: "Logistics looks worst; support is steady.")),
        .init(
            match: "ANALYSE logistics", reply: .init(content: "Logistics misses deliveries because carriers are late.")),
        .init(match: "ANALYSE support", reply: .init(content: "Support backlog is stable.")),
        .init(match: "ANALYSE", reply: .init(content: "Nothing unusual.")),
        .init(match: "DRAFT:", reply: .init(content: "Deliveries are late mainly because of carriers.")),
    ]

    /// Model calls of one uninterrupted operations analysis with these rules:
    /// plan 1, gather 2 (tools, then the answer), analyse 2, draft 1.
    static let operationsCalls = 6

    static func model(_ url: String) -> ChatCompletionClient {
        ChatCompletionClient(provider: LLMProvider(baseURL: url, model: "scripted", maxRetries: 0))
    }
}

/// Everything a run reported through its hooks.
final class RunLog: Sendable {
    private let state = Mutex<(checkpoints: [Checkpoint], progress: [ActivityProgress])>(([], []))

    var checkpoints: [Checkpoint] { state.withLock { $0.checkpoints } }
    var progress: [ActivityProgress] { state.withLock { $0.progress } }

    /// Hooks that record, and throw `SimulatedCrash` once `crashAfter` checkpoints are stored.
    func hooks(crashAfter: Int? = nil) -> GraphRunHooks {
        GraphRunHooks(
            progress: { progress in self.state.withLock { $0.progress.append(progress) } },
            checkpoint: { checkpoint in
                let count = self.state.withLock { state in
                    state.checkpoints.append(checkpoint)
                    return state.checkpoints.count
                }
                if let crashAfter, count >= crashAfter { throw SimulatedCrash() }
            })
    }
}

/// A worker dying right after a checkpoint was stored.
struct SimulatedCrash: Error {}
