/// Writes a `JSONValue` as compact JSON text, keys sorted, in linear time.
///
/// The counterpart of `JSONParser`, so that what Baton writes it can always read back:
/// a non-finite number (which JSON cannot express) is written as `null` instead of
/// failing, NUL in a string (which PostgreSQL cannot store) becomes U+FFFD, and
/// integral numbers within ±2^53 are written without a fraction.
struct JSONWriter {
    private(set) var output: [UInt8] = []

    init(capacity: Int = 256) {
        output.reserveCapacity(capacity)
    }

    mutating func write(_ value: JSONValue) {
        switch value {
        case .null: append("null")
        case .bool(let flag): append(flag ? "true" : "false")
        case .number(let number): write(number)
        case .string(let text): write(text)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                write(element)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (offset, key) in members.keys.sorted().enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                write(key)
                output.append(UInt8(ascii: ":"))
                // The key comes from the dictionary itself.
                write(members[key] ?? .null)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private mutating func write(_ number: Double) {
        guard number.isFinite else { return append("null") }
        if number.rounded() == number, abs(number) <= JSONLimits.largestExactInteger {
            append(String(Int64(number)))
        } else {
            append(number.description)
        }
    }

    private mutating func write(_ text: String) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x00: append("\\ufffd")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0..<0x20:
                let hex = String(byte, radix: 16)
                append("\\u00" + (hex.count == 1 ? "0" + hex : hex))
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    private mutating func append(_ text: String) {
        output.append(contentsOf: text.utf8)
    }
}
