import Foundation

/// The `main` of a fuzz target built without libFuzzer: runs the property on every
/// file named on the command line (directories: every file inside), so that a crash
/// input or a corpus replays in a plain debug build or a debugger.
public enum FuzzReplay {
    public static func run(target: String, check: (Data) -> Void) {
        let paths = CommandLine.arguments.dropFirst()
        guard !paths.isEmpty else {
            print("usage: \(target) FILE_OR_DIRECTORY...  (replays inputs; scripts/fuzz.sh fuzzes)")
            return
        }
        var inputs = 0
        for path in paths {
            for file in files(at: path) {
                guard let data = FileManager.default.contents(atPath: file) else {
                    print("cannot read \(file)")
                    continue
                }
                check(data)
                inputs += 1
            }
        }
        print("\(target): \(inputs) input(s) replayed, no property broken")
    }

    private static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { path + "/" + $0 }.filter { !$0.hasPrefix(".") }
    }
}
