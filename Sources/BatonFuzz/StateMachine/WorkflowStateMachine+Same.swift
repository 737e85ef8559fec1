import BatonWorkflow

extension WorkflowStateMachine {
    /// Equal in everything but the options. `==` cannot serve: options may hold NaN,
    /// which is never equal to itself; nor can descriptions: a `Set` prints its
    /// elements in an order of its own.
    func hasSameProgress(as other: WorkflowStateMachine) -> Bool {
        state == other.state && attempt == other.attempt && failures == other.failures
            && checkpointStep == other.checkpointStep && humanInput == other.humanInput && timers == other.timers
            && leaseToken == other.leaseToken && redeliveredAt == other.redeliveredAt
            && workerCrashes == other.workerCrashes && lastNode == other.lastNode && agent == other.agent
    }
}
