#if BATON_LIBFUZZER
    import Foundation

    /// libFuzzer's own driver (`FuzzerDriver.cpp`), exported for programs with a main of
    /// their own. SwiftPM links an executable target with `main` aliased to the module's
    /// `@main`, so libFuzzer's `main` cannot be the entry point: the target's `@main`
    /// hands the command line to this driver instead.
    @_silgen_name("LLVMFuzzerRunDriver")
    private func runDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    public enum LibFuzzerDriver {
        /// Runs libFuzzer with the process's arguments and exits with its status.
        public static func run(_ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(runDriver(&argc, &argv, callback))
        }
    }
#endif
