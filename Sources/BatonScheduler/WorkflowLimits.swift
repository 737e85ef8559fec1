import BatonConfiguration
import BatonContracts

/// `limits:` of the scheduler's configuration: what a workflow may carry and store.
/// Over a limit a submission is refused (413, `input_too_large`) and an attempt fails
/// with the limit's own error kind, not retried (`ActivityLimits`, which the workers
/// enforce as they send), so that nothing oversized reaches a queue or the database.
public struct WorkflowLimits: Sendable, Codable, Equatable {
    public var maxInputBytes: Int
    public var maxCheckpointBytes: Int
    public var maxResultBytes: Int
    public var maxInterruptBytes: Int
    /// Entries of one workflow's history (every event but plain heartbeats); the one
    /// that reaches it fails the workflow (`history_too_long`).
    public var maxHistoryEntries: Int
    /// One artifact's contents (`PUT /v1/workflows/{id}/artifacts/{name}`): stored by
    /// reference, so far larger than a result may be.
    public var maxArtifactBytes: Int
    public var maxArtifactsPerWorkflow: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case maxInputBytes = "max_input_bytes"
        case maxCheckpointBytes = "max_checkpoint_bytes"
        case maxResultBytes = "max_result_bytes"
        case maxInterruptBytes = "max_interrupt_bytes"
        case maxHistoryEntries = "max_history_entries"
        case maxArtifactBytes = "max_artifact_bytes"
        case maxArtifactsPerWorkflow = "max_artifacts_per_workflow"
    }

    public init(
        maxInputBytes: Int = 256 * 1024, maxCheckpointBytes: Int = ActivityLimits.standard.maxCheckpointBytes,
        maxResultBytes: Int = ActivityLimits.standard.maxResultBytes,
        maxInterruptBytes: Int = ActivityLimits.standard.maxInterruptBytes,
        maxHistoryEntries: Int = Self.defaultMaxHistoryEntries, maxArtifactBytes: Int = 16 << 20,
        maxArtifactsPerWorkflow: Int = 100
    ) {
        self.maxArtifactBytes = maxArtifactBytes
        self.maxArtifactsPerWorkflow = maxArtifactsPerWorkflow
        self.maxHistoryEntries = maxHistoryEntries
        self.maxInputBytes = maxInputBytes
        self.maxCheckpointBytes = maxCheckpointBytes
        self.maxResultBytes = maxResultBytes
        self.maxInterruptBytes = maxInterruptBytes
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = WorkflowLimits()
        self.init(
            maxInputBytes: try c.decodeIfPresent(Int.self, forKey: .maxInputBytes) ?? d.maxInputBytes,
            maxCheckpointBytes: try c.decodeIfPresent(Int.self, forKey: .maxCheckpointBytes) ?? d.maxCheckpointBytes,
            maxResultBytes: try c.decodeIfPresent(Int.self, forKey: .maxResultBytes) ?? d.maxResultBytes,
            maxInterruptBytes: try c.decodeIfPresent(Int.self, forKey: .maxInterruptBytes) ?? d.maxInterruptBytes,
            maxHistoryEntries: try c.decodeIfPresent(Int.self, forKey: .maxHistoryEntries) ?? d.maxHistoryEntries,
            maxArtifactBytes: try c.decodeIfPresent(Int.self, forKey: .maxArtifactBytes) ?? d.maxArtifactBytes,
            maxArtifactsPerWorkflow: try c.decodeIfPresent(Int.self, forKey: .maxArtifactsPerWorkflow)
                ?? d.maxArtifactsPerWorkflow)
    }

    /// Temporal's hard limit is 51,200 events per workflow run: a history of this size
    /// still loads and streams quickly, and an agent that needs more steps is one to
    /// split into child workflows.
    public static let defaultMaxHistoryEntries = 50_000
    static let historyEntriesRange = 10...10_000_000

    /// What the workers enforce, sent in each command.
    public var activity: ActivityLimits {
        ActivityLimits(
            maxCheckpointBytes: maxCheckpointBytes, maxResultBytes: maxResultBytes, maxInterruptBytes: maxInterruptBytes
        )
    }

    /// Each limit between 1 KiB and what one message may carry (the input travels in
    /// every command of the workflow).
    func check(into validator: inout ConfigurationValidator, maxRequestBytes: Int) {
        let message = ContractVersion.maximumMessageBytes
        for (key, value) in [
            ("max_input_bytes", maxInputBytes), ("max_checkpoint_bytes", maxCheckpointBytes),
            ("max_result_bytes", maxResultBytes), ("max_interrupt_bytes", maxInterruptBytes),
        ] {
            validator.require(
                (1024...message).contains(value), "limits.\(key) must be between 1024 and \(message), got \(value)")
        }
        validator.require(
            Self.historyEntriesRange.contains(maxHistoryEntries),
            "limits.max_history_entries must be between \(Self.historyEntriesRange.lowerBound) and "
                + "\(Self.historyEntriesRange.upperBound), got \(maxHistoryEntries)")
        // Held in memory while stored or sent: a gigabyte is past what an API should move in one body.
        validator.require(
            (1024...(1 << 30)).contains(maxArtifactBytes),
            "limits.max_artifact_bytes must be between 1024 and \(1 << 30) (1 GiB), got \(maxArtifactBytes)")
        validator.require(
            (1...10_000).contains(maxArtifactsPerWorkflow),
            "limits.max_artifacts_per_workflow must be between 1 and 10000, got \(maxArtifactsPerWorkflow)")
        validator.require(
            maxInputBytes <= maxRequestBytes,
            "limits.max_input_bytes (\(maxInputBytes)) must not exceed max_request_bytes (\(maxRequestBytes))")
    }
}
