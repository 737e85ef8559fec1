import BatonAPI
import BatonContracts
import Foundation
import OpenAPIRuntime

/// Artifacts: files an agent stores by reference (a report, an export) and people fetch,
/// kept in the `artifacts` table within `limits.max_artifact_bytes` each and
/// `limits.max_artifacts_per_workflow` per workflow.
extension WorkflowController {
    func putArtifact(_ input: Operations.PutArtifact.Input) async throws -> Operations.PutArtifact.Output {
        let (id, name) = (input.path.id, input.path.name)
        let caller = try caller
        guard ArtifactView.isValidName(name) else {
            return .badRequest(.init(body: .json(.invalid("artifact name: \(ArtifactView.nameRule)"))))
        }
        guard Identifiers.isValidWorkflowId(id),
            let view = try await pool.autocommit({ db in try WorkflowReads.view(of: id, on: db) }),
            caller.mayRead(view)
        else { return .notFound(.init(body: .json(.noWorkflow(id)))) }
        // A workflow's artifacts are its agent's to write: its own running attempt's token.
        guard caller.delegatedBy == id || caller.delegatedBy == nil && caller.roles.allow(.admin) else {
            return .forbidden(
                .init(
                    body: .json(
                        APIError(
                            code: "forbidden",
                            message:
                                "only workflow \(id)'s own running attempt (its delegation token) or an administrator stores its artifacts"
                        ))))
        }
        let (contentType, body) = Self.contentTypeAndBody(of: input.body)
        let contents: Data
        do {
            contents = try await Data(collecting: body, upTo: limits.maxArtifactBytes)
        } catch {
            return .contentTooLarge(
                .init(
                    body: .json(
                        APIError(
                            code: "artifact_too_large",
                            message:
                                "the artifact exceeds \(limits.maxArtifactBytes) bytes (the scheduler's limits.max_artifact_bytes)"
                        ))))
        }
        let maximumCount = limits.maxArtifactsPerWorkflow
        switch try await pool.transaction({ db in
            try ArtifactRows.store(
                contents, name: name, contentType: contentType, of: id, maximumCount: maximumCount, on: db)
        }) {
        case .stored(let artifact):
            logger.info(
                "artifact stored",
                metadata: [
                    "workflow": "\(id)", "artifact": "\(name)", "bytes": "\(artifact.bytes)",
                    "by": "\(caller.subject)",
                ])
            return .created(.init(body: .json(artifact)))
        case .tooMany(let limit):
            return .conflict(
                .init(
                    body: .json(
                        APIError(
                            code: "too_many_artifacts",
                            message:
                                "workflow \(id) already holds \(limit) artifacts (the scheduler's limits.max_artifacts_per_workflow); store fewer, larger ones, or replace one by its name"
                        ))))
        case .ended(let status):
            return .conflict(
                .init(
                    body: .json(
                        APIError(
                            code: "workflow_ended",
                            message: "workflow \(id) has ended (\(status.rawValue)): its artifacts no longer change"))))
        case .noWorkflow:
            return .notFound(.init(body: .json(.noWorkflow(id))))
        }
    }

    func listArtifacts(_ input: Operations.ListArtifacts.Input) async throws -> Operations.ListArtifacts.Output {
        let id = input.path.id
        let caller = try caller
        guard Identifiers.isValidWorkflowId(id),
            let artifacts = try await pool.autocommit({ db -> [ArtifactView]? in
                guard let view = try WorkflowReads.view(of: id, on: db), caller.mayRead(view) else { return nil }
                return try ArtifactRows.list(of: id, on: db)
            })
        else { return .notFound(.init(body: .json(.noWorkflow(id)))) }
        return .ok(.init(body: .json(artifacts)))
    }

    func getArtifact(_ input: Operations.GetArtifact.Input) async throws -> Operations.GetArtifact.Output {
        let (id, name) = (input.path.id, input.path.name)
        let caller = try caller
        guard ArtifactView.isValidName(name) else {
            return .badRequest(.init(body: .json(.invalid("artifact name: \(ArtifactView.nameRule)"))))
        }
        guard Identifiers.isValidWorkflowId(id),
            let found = try await pool.autocommit({ db -> (ArtifactView, Data)?? in
                guard let view = try WorkflowReads.view(of: id, on: db), caller.mayRead(view) else { return nil }
                return .some(try ArtifactRows.fetch(name, of: id, on: db))
            })
        else { return .notFound(.init(body: .json(.noWorkflow(id)))) }
        guard let (artifact, contents) = found else {
            return .notFound(
                .init(body: .json(APIError(code: "not_found", message: "workflow \(id) has no artifact '\(name)'"))))
        }
        let body = HTTPBody(contents)
        let typed: Operations.GetArtifact.Output.Ok.Body =
            switch artifact.contentType {
            case "text/plain": .plainText(body)
            case "text/markdown": .textMarkdown(body)
            case "text/csv": .csv(body)
            case "application/pdf": .pdf(body)
            case "image/png": .png(body)
            default: .binary(body)
            }
        return .ok(.init(headers: .init(xContentSHA256: artifact.sha256), body: typed))
    }

    private static func contentTypeAndBody(of body: Operations.PutArtifact.Input.Body) -> (String, HTTPBody) {
        switch body {
        case .binary(let body): ("application/octet-stream", body)
        case .plainText(let body): ("text/plain", body)
        case .textMarkdown(let body): ("text/markdown", body)
        case .csv(let body): ("text/csv", body)
        case .pdf(let body): ("application/pdf", body)
        case .png(let body): ("image/png", body)
        }
    }
}
