import ServiceLifecycle

extension Service {
    /// This service's place in a group: when it returns or throws, the whole group
    /// shuts down gracefully instead of being cancelled. Cancelling a NIO server while
    /// it accepts a connection can crash the process (apple/swift-nio#2637); a graceful
    /// stop lets the process exit with the service's error for its supervisor to see.
    public var shutsDownGroupWhenDone: ServiceGroupConfiguration.ServiceConfiguration {
        .init(
            service: self, successTerminationBehavior: .gracefullyShutdownGroup,
            failureTerminationBehavior: .gracefullyShutdownGroup)
    }
}
