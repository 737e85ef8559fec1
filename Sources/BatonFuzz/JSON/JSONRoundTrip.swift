import BatonContracts
import BatonFuzzSupport
import Foundation

/// The property of `JSONValue.parse`: any bytes either fail with a `JSONParseError`
/// pointing inside the input, or parse to a value whose compact text parses again, at
/// the same depth limit, to an equal value and to the same text (what Baton writes it
/// can read back, unchanged).
enum JSONRoundTrip {
    static let target = "json"

    static func check(_ data: Data) {
        for limits in [JSONLimits.requestBody, .message] {
            let value: JSONValue
            do throws(JSONParseError) {
                value = try JSONValue.parse(data, limits: limits)
            } catch {
                FuzzViolation.check(
                    (0...data.count).contains(error.offset), target,
                    "error offset \(error.offset) outside the \(data.count) bytes: \(error)")
                FuzzViolation.check(!error.description.isEmpty, target, "an empty error description")
                continue
            }
            let text = value.compactText
            let again: JSONValue
            do {
                again = try JSONValue.parse(text, limits: limits)
            } catch {
                FuzzViolation.fail(target, "compactText does not parse again (\(error)): \(text.prefix(300))")
            }
            FuzzViolation.check(again == value, target, "re-parsed value differs: \(text.prefix(300))")
            FuzzViolation.check(again.compactText == text, target, "compactText is not stable: \(text.prefix(300))")
            FuzzViolation.check(Data(text.utf8) == value.jsonData, target, "jsonData and compactText disagree")
        }
    }
}
