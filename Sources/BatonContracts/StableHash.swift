/// FNV-1a over UTF-8: the same on every run and machine, unlike `hashValue`, for ids and
/// sample data derived from text.
public enum StableHash {
    public static func fnv1a(_ text: String) -> UInt64 {
        text.utf8.reduce(14_695_981_039_346_656_037) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
    }
}
