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

    @Option(name: .long, help: "Model to time (named config or JSON).")
    var model: String?

    @Option(name: .long, help: "unfused | deploy | both.")
    var mode: String = "unfused"

    @Option(name: .long, help: "Timed runs after the warm-up.")
    var runs: Int = 10

    @Flag(name: .long, help: "JSON output.")
    var json = false

    func run() throws {
        if let threads { BLAS.setThreads(threads) }
        if let model {
            guard let m = ModelBench.Mode(rawValue: mode) else { fail("--mode must be unfused, deploy or both, not '\(mode)'") }
            do { try ModelBench.run(model: model, mode: m, threads: BLAS.threads, runs: runs, json: json) } catch { fail("\(error)") }
            return
        }
        print("OpenBLAS: \(BLAS.config), threads \(BLAS.threads)")
    }
}
