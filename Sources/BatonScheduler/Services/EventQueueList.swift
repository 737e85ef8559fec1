import Synchronization

/// The events queues in use (base, partitions, retired ones still emptied).
final class EventQueueList: Sendable {
    private let names: Mutex<[String]>
    init(_ names: [String]) { self.names = Mutex(names) }
    func set(_ new: [String]) { names.withLock { $0 = new } }
    var all: [String] { names.withLock { $0 } }
}
