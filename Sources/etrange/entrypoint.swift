import App
import Foundation
import NIOCore
import NIOPosix

@main
enum Entrypoint {
    static func main() async {
        // Async handlers then run on the event loops that read their requests, instead of hopping
        // to Swift's own pool and back at every await: on the session list that switching was
        // most of the server's CPU (docs/benchmarks-history.md). The server never blocks a loop (no `.wait()`).
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        exit(await EtrangeMain.run(CommandLine.arguments))
    }
}
