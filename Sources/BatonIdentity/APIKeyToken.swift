import Crypto
import Foundation

/// An API key as its holder sends it: `bk_<id>_<secret>`. The id finds the key's
/// record; the secret (32 random bytes) is never stored, only the SHA-256 of the whole
/// token is. A fast hash is enough here: unlike a password, the secret has 256 bits of
/// entropy, so nothing can be guessed from its hash.
public struct APIKeyToken: Sendable, Hashable, CustomStringConvertible {
    public let id: String
    public let text: String

    /// A new key from the system's secure random source.
    public static func generate() -> APIKeyToken {
        var random = SystemRandomNumberGenerator()
        let id = (0..<8).map { _ in UInt8.random(in: .min ... .max, using: &random) }
        let secret = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &random) }
        let idText = hex(id)
        return APIKeyToken(id: idText, text: "bk_\(idText)_\(hex(secret))")
    }

    /// Nil for anything that is not a Baton API key (a JWT, a delegation token).
    public init?(parsing text: String) {
        let parts = text.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "bk", parts[1].count == 16, parts[2].count == 64,
            (parts[1] + parts[2]).utf8.allSatisfy(Self.isHexDigit)
        else { return nil }
        self.init(id: String(parts[1]), text: text)
    }

    private init(id: String, text: String) {
        self.id = id
        self.text = text
    }

    /// What is stored and configured (`sha256:` of an `api_keys` entry), in lower-case hex.
    public var sha256: String { Self.sha256(of: text) }

    /// Never the secret: keys end up in logs by mistake.
    public var description: String { "bk_\(id)_…" }

    public static func sha256(of text: String) -> String { hex(Array(SHA256.hash(data: Data(text.utf8)))) }

    /// Compares two hashes in time that does not depend on where they differ.
    public static func sameHash(_ a: String, _ b: String) -> Bool {
        let (a, b) = (Array(a.utf8), Array(b.utf8))
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    public static func isSHA256(_ text: String) -> Bool { text.utf8.count == 64 && text.utf8.allSatisfy(isHexDigit) }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
