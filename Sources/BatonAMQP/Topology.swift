/// The arguments Baton declares its queues with. Scheduler and worker both declare the
/// queues they use (either may start first), and the broker refuses a second
/// declaration with other arguments, so both sides take them from here.
public enum Topology {
    /// The events queue has a single active consumer: with several scheduler replicas
    /// the broker delivers to one at a time and fails over when it goes away, so each
    /// workflow's events are applied in the order its worker sent them.
    public static let eventsQueueArguments: [String: AMQPArgument] = ["x-single-active-consumer": .bool(true)]
}
