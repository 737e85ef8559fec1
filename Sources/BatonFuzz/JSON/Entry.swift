import BatonFuzzSupport
import Foundation

#if BATON_LIBFUZZER
    /// libFuzzer's callback: one input, the property checked (a violation aborts).
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
        JSONRoundTrip.check(start.map { Data(bytes: $0, count: count) } ?? Data())
        return 0
    }
#endif

/// Fuzzes under libFuzzer (a `scripts/fuzz.sh` build); otherwise replays the files named.
@main enum Entry {
    static func main() {
        #if BATON_LIBFUZZER
            LibFuzzerDriver.run(fuzzOneInput)
        #else
            FuzzReplay.run(target: JSONRoundTrip.target, check: JSONRoundTrip.check)
        #endif
    }
}
