import BatonContracts
import Foundation
import Testing

@Suite struct JSONValueCodingTests {
    struct Sample: Codable, Equatable {
        enum Kind: String, Codable { case a, b }
        struct Inner: Codable, Equatable {
            var names: [String]
            var weights: [String: Double]
        }
        var text = "héllo"
        var flag = true
        var count = 42
        var big: Int64 = 1 << 40
        var small: UInt8 = 7
        var ratio: Float = 0.5
        var optional: String? = nil
        var present: Int? = 3
        var kind = Kind.b
        var inner = Inner(names: ["x", "y"], weights: ["w": 1.5])
        var nested: [[Int]] = [[1, 2], [], [3]]
        var when = Date(timeIntervalSinceReferenceDate: 12345.5)
        var any: JSONValue = ["k": [1, "two", nil, true]]
    }

    @Test func roundTripsWithoutText() throws {
        let json = try JSONValueCoding.encode(Sample())
        #expect(try JSONValueCoding.decode(Sample.self, from: json) == Sample())
    }

    @Test func producesWhatJSONEncoderProduces() throws {
        let viaText = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(Sample()))
        #expect(try JSONValueCoding.encode(Sample()) == viaText)
    }

    @Test func reportsTypeMismatchesWithTheirPath() {
        #expect(throws: DecodingError.self) {
            _ = try JSONValueCoding.decode(Sample.Inner.self, from: ["names": [1], "weights": [:]])
        }
        #expect(throws: DecodingError.self) {
            _ = try JSONValueCoding.decode(Sample.Inner.self, from: ["names": []])
        }
    }
}
