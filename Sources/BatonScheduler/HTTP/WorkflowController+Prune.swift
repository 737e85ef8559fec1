import BatonAPI
import BatonContracts

extension WorkflowController {
    /// `POST /v1/admin/prune`: the retention policy, applied to the caller's tenant now
    /// (or only previewed, by default).
    func pruneWorkflows(_ input: Operations.PruneWorkflows.Input) async throws -> Operations.PruneWorkflows.Output {
        let caller = try caller
        var dryRun = true
        if case .json(let body) = input.body, let given = body.dryRun { dryRun = given }
        guard retention.isEnabled else {
            return .conflict(
                .init(
                    body: .json(
                        APIError(
                            code: "retention_off",
                            message:
                                "no retention is configured, so nothing is ever due: set retention.finished_after_days (or a tenant's or an agent's days) in the scheduler's configuration"
                        ))))
        }
        let report =
            dryRun
            ? try await Pruning.preview(retention, tenant: caller.tenant, on: pool)
            : try await Pruning.prune(retention, tenant: caller.tenant, on: pool)
        if !dryRun {
            logger.info(
                "pruned finished workflows past their retention",
                metadata: [
                    "tenant": "\(caller.tenant)", "by": "\(caller.subject)", "workflows": "\(report.workflows)",
                    "events": "\(report.events)", "checkpoints": "\(report.checkpoints)",
                ])
        }
        return .ok(
            .init(
                body: .json(
                    PruneReport(
                        dryRun: dryRun, workflows: report.workflows, events: report.events,
                        checkpoints: report.checkpoints, sample: report.sample))))
    }
}
