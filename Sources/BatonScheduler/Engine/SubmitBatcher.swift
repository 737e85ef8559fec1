import BatonContracts

/// Submissions that arrive while one transaction of them is running wait and go
/// together in the next (group commit): a burst of a thousand requests costs tens of
/// transactions, not a thousand, and a lone request waits for nobody.
///
/// Each request gets the outcome it would have had alone. A batch that fails with an
/// error is tried again one request at a time, so that one bad request fails alone.
actor SubmitBatcher {
    private let engine: WorkflowEngine
    private let maximumBatch: Int
    private var waiting:
        [(request: SubmitWorkflowRequest, caller: CheckedContinuation<WorkflowEngine.SubmitOutcome, any Error>)] = []
    private var submitting = false

    init(engine: WorkflowEngine, maximumBatch: Int = 64) {
        self.engine = engine
        self.maximumBatch = max(1, maximumBatch)
    }

    func submit(_ request: SubmitWorkflowRequest) async throws -> WorkflowEngine.SubmitOutcome {
        try await withCheckedThrowingContinuation { caller in
            waiting.append((request, caller))
            if !submitting {
                submitting = true
                Task { await submitWaiting() }
            }
        }
    }

    private func submitWaiting() async {
        while !waiting.isEmpty {
            let batch = waiting.prefix(maximumBatch)
            waiting.removeFirst(batch.count)
            do {
                let outcomes = try await engine.submit(batch.map(\.request))
                for (entry, outcome) in zip(batch, outcomes) { entry.caller.resume(returning: outcome) }
            } catch  where batch.count > 1 {
                for entry in batch {
                    do {
                        entry.caller.resume(returning: try await engine.submit(entry.request))
                    } catch {
                        entry.caller.resume(throwing: error)
                    }
                }
            } catch {
                for entry in batch { entry.caller.resume(throwing: error) }
            }
        }
        submitting = false
    }
}
