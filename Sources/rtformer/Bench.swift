import ArgumentParser
import Foundation
import RTFormer

/// `rtformer bench`: kernel and model throughput on a release build.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmark kernels (--kernels) or a model's forward pass.")

    @Flag(name: .long, help: "Benchmark the engine kernels (sgemm, conv, LIF).")
    var kernels = false

    @Option(name: .long, help: "OpenBLAS threads.")
    var threads: Int?

    func run() throws {
        if let threads { BLAS.setThreads(threads) }
        print("OpenBLAS: \(BLAS.config), threads \(BLAS.threads)")
    }
}
