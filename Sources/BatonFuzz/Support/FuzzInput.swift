/// Reads the fuzzer's bytes as a stream of choices. Past the end every read is 0, so
/// any input, however short, is a complete program, and a mutation of one byte
/// changes one choice.
public struct FuzzInput {
    private let bytes: [UInt8]
    private var index = 0

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public var isAtEnd: Bool { index >= bytes.count }

    public mutating func byte() -> UInt8 {
        guard index < bytes.count else { return 0 }
        defer { index += 1 }
        return bytes[index]
    }

    /// A number in `0..<count` (0 when `count` is 0).
    public mutating func choose(_ count: Int) -> Int {
        count > 0 ? Int(byte()) % count : 0
    }

    public mutating func element<T>(of choices: [T]) -> T {
        choices[choose(choices.count)]
    }

    public mutating func uint32() -> UInt32 {
        (0..<4).reduce(0) { value, _ in value << 8 | UInt32(byte()) }
    }

    /// Any 64-bit integer, extremes included.
    public mutating func int64() -> Int64 {
        Int64(bitPattern: (0..<8).reduce(0) { value, _ in value << 8 | UInt64(byte()) })
    }

    /// Mostly small numbers, sometimes the extremes and the odd values a stored or
    /// outside value may hold.
    public mutating func double() -> Double {
        switch choose(12) {
        case 0: return .nan
        case 1: return .infinity
        case 2: return -.infinity
        case 3: return 1e308
        case 4: return -1e308
        case 5: return -Double(byte())
        case 6: return Double(bitPattern: UInt64(bitPattern: int64()))
        case 7: return 0
        default: return Double(byte()) + Double(byte()) / 256
        }
    }

    /// The rest of the input.
    public mutating func remainder() -> [UInt8] {
        defer { index = bytes.count }
        return index < bytes.count ? Array(bytes[index...]) : []
    }
}
