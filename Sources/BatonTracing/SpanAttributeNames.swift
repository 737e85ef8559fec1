/// The attribute names Baton's spans carry: OpenTelemetry's semantic conventions where
/// one exists (messaging, GenAI), `baton.*` for the workflow's own.
public enum SpanAttributeNames {
    public static let workflowId = "baton.workflow.id"
    public static let attempt = "baton.workflow.attempt"
    public static let agent = "baton.agent"
    public static let tenant = "baton.tenant"
    public static let node = "baton.graph.node"
    public static let task = "baton.graph.task"
    public static let superstep = "baton.graph.superstep"
    public static let timer = "baton.timer"
    public static let outcome = "baton.outcome"

    public static let messagingSystem = "messaging.system"
    public static let messagingOperation = "messaging.operation.type"
    public static let messagingDestination = "messaging.destination.name"
}
