import BatonContracts
import Foundation

/// Prints a benchmark's result as one JSON line and appends it to `--json-out`.
enum BenchOutput {
    static func report(_ result: JSONValue, jsonOut: String?) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let line = String(decoding: try encoder.encode(result), as: UTF8.self)
        print(line)
        if let jsonOut {
            if !FileManager.default.fileExists(atPath: jsonOut) {
                _ = FileManager.default.createFile(atPath: jsonOut, contents: nil)
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: jsonOut))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data((line + "\n").utf8))
            try handle.close()
        }
    }
}
