import BatonContracts
import BatonFuzzMutations
import Foundation

@testable import BatonScheduler

/// RabbitMQ as the scheduler and workers see it: the `agents` queue of run commands,
/// the control fanout of cancellations, and the events queue. It keeps what it is
/// given until it is delivered; faults duplicate and reorder messages, and in safety
/// mode lose them.
struct SimulatedBroker {
    struct Command {
        var run: RunActivity
        /// The broker gave it before to a worker whose connection closed.
        var redelivered = false
    }

    var commands: [Command] = []
    var cancels: [CancelActivity] = []
    var pauses: [PauseActivity] = []
    var events: [WorkerEvent] = []
    /// When the broker last (re)started: no connection open now is older.
    var upSince = Date.distantPast

    mutating func publish(_ message: OutboxMessage) {
        switch try? WorkerCommand.decode(message.body) {
        case .runActivity(let run): commands.append(Command(run: run))
        case .cancelActivity(let cancel): cancels.append(cancel)
        case .pauseActivity(let pause): pauses.append(pause)
        case nil: break
        }
    }

    mutating func injectFault(_ random: inout SeededGenerator, losing: Bool) {
        switch random.below(3) {
        case 0 where !events.isEmpty:
            events.append(events[random.below(events.count)])  // a redelivered copy
        case 1 where events.count > 1:
            events.swapAt(random.below(events.count), random.below(events.count))
        case 2 where losing && !events.isEmpty:
            events.remove(at: random.below(events.count))
        default:
            if losing && !commands.isEmpty { commands.remove(at: random.below(commands.count)) }
        }
    }
}
