import CRabbitMQ
import Glibc

/// Ends a connection's wait for deliveries early, from any thread.
///
/// A consumer's thread spends most of its time blocked in `nextDelivery(timeout:)`, and
/// every other call on that connection (an acknowledgement above all) queues behind the
/// wait. The wait polls the socket together with this eventfd, so a caller that signals
/// first gets the thread within microseconds instead of at the end of the timeout.
final class WaitInterruption: Sendable {
    /// -1 when the kernel refused an eventfd: waits then run to their timeout, as before.
    let descriptor: Int32

    init() {
        descriptor = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    func signal() {
        guard descriptor >= 0 else { return }
        var one: UInt64 = 1
        _ = write(descriptor, &one, MemoryLayout<UInt64>.size)
    }

    /// Resets the signal, so that the next wait blocks again.
    func clear() {
        guard descriptor >= 0 else { return }
        var count: UInt64 = 0
        _ = read(descriptor, &count, MemoryLayout<UInt64>.size)
    }
}
