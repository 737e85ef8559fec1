import BatonContracts
import BatonFuzzSupport
import Foundation

/// The property of the AMQP decoders: any bytes either decode, or fail with a
/// `ContractError` (the decoders' typed throw) whose text can serve as a dead-letter
/// reason; a decoded message re-encodes to bytes that decode to an equal message.
enum MessageRoundTrip {
    static let target = "messages"

    static func check(_ data: Data) {
        do throws(ContractError) {
            let event = try WorkerEvent.decode(data)
            let again: WorkerEvent
            do {
                again = try WorkerEvent.decode(event.encoded())
            } catch {
                FuzzViolation.fail(target, "a decoded event does not decode after encoding: \(error)")
            }
            FuzzViolation.check(again == event, target, "event round trip differs: \(event) vs \(again)")
        } catch {
            checkReason(error)
        }
        do throws(ContractError) {
            let command = try WorkerCommand.decode(data)
            let again: WorkerCommand
            do {
                again = try WorkerCommand.decode(command.encoded())
            } catch {
                FuzzViolation.fail(target, "a decoded command does not decode after encoding: \(error)")
            }
            FuzzViolation.check(again == command, target, "command round trip differs: \(command) vs \(again)")
        } catch {
            checkReason(error)
        }
        // Live text: dropped when unreadable, so only the round trip matters.
        do throws(ContractError) {
            let delta = try TextDelta.decode(data)
            let again: TextDelta
            do {
                again = try TextDelta.decode(delta.encoded())
            } catch {
                FuzzViolation.fail(target, "a decoded text delta does not decode after encoding: \(error)")
            }
            FuzzViolation.check(again == delta, target, "text delta round trip differs: \(delta) vs \(again)")
        } catch {
            checkReason(error)
        }
    }

    /// The reason goes into a header of at most 4 KiB (`DeadLetter`): it must say something.
    private static func checkReason(_ error: ContractError) {
        FuzzViolation.check(!error.description.isEmpty, target, "an empty dead-letter reason for \(error)")
    }
}
