import Foundation

/// A file a workflow's agent stored by reference (`PUT /v1/workflows/{id}/artifacts/{name}`):
/// what the API lists, without the contents.
public struct ArtifactView: Codable, Sendable, Hashable {
    public var name: String
    public var contentType: String
    public var bytes: Int
    /// The contents' SHA-256, in lowercase hex.
    public var sha256: String
    /// When it was last stored.
    public var createdAt: Date

    public init(name: String, contentType: String, bytes: Int, sha256: String, createdAt: Date) {
        self.name = name
        self.contentType = contentType
        self.bytes = bytes
        self.sha256 = sha256
        self.createdAt = createdAt
    }

    /// The types an artifact may have (docs/openapi.yaml lists the same).
    public static let contentTypes = [
        "application/octet-stream", "text/plain", "text/markdown", "text/csv", "application/pdf", "image/png",
    ]

    /// 1 to 128 of `A-Z a-z 0-9 . _ -`, not starting with a dot: safe in a URL path and a
    /// file name, with no way to climb out of a folder.
    public static func isValidName(_ name: String) -> Bool {
        guard (1...128).contains(name.utf8.count), name.first != "." else { return false }
        return name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    public static let nameRule = "1 to 128 of A-Z a-z 0-9 . _ -, not starting with a dot"
}
