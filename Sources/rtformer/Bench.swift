import ArgumentParser
import Foundation
import RTFormer

/// `rtformer bench`: kernel and model throughput on a release build.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmark kernels (--kernels) or a model's forward pass (--model and/or --weights).")

    @Flag(name: .long, help: "Benchmark the engine kernels (sgemm, conv, spike-driven projections, LIF).")
    var kernels = false

    @Option(name: .long, parsing: .unconditional, help: "OpenBLAS threads.")
    var threads: Int?

    /// `--model`, `--weights` (and `--ema`, `--key`, `--seed`, `--uncalibrated`…): the model to
    /// time, resolved as every model command resolves it.
    @OptionGroup var model: ModelOptions

    @Option(name: .long, help: "With a model: the input to time, as `forward --input` takes it (file, default, digits, gesture). Default: bundled sample 0.")
    var input: String?

    @Option(name: .long, parsing: .unconditional, help: "With --input: record of a dataset file.")
    var index: Int?

    @Option(name: .long, help: "unfused | deploy | both.")
    var mode: String = "unfused"

    @Option(name: .long, parsing: .unconditional, help: "Timed runs after the warm-up.")
    var runs: Int = 10

    @Flag(name: .long, help: "JSON output.")
    var json = false

    @Flag(name: .long, help: "With --model: time one session `step` (unfused and deploy, one timestep) instead of a forward.")
    var step = false

    @Option(name: .long, parsing: .upToNextOption, help: "Firing rates in percent for the kernel bench's dense vs spike-driven rows.")
    var rates: [Double] = [2, 10, 20, 25, 30]

    func validate() throws {
        if let threads, !(1...1024).contains(threads) { throw ValidationError("--threads must be in 1...1024, got \(threads)") }
        if !(1...100_000).contains(runs) { throw ValidationError("--runs must be in 1...100000, got \(runs)") }
        if let bad = rates.first(where: { !(0...100).contains($0) }) { throw ValidationError("--rates are percentages in 0...100, got \(bad)") }
    }

    func run() throws {
        if let threads { BLAS.setThreads(threads) }
        if model.model != nil || model.weights != nil {
            guard let m = ModelBench.Mode(rawValue: mode) else { fail("--mode must be unfused, deploy or both, not '\(mode)'") }
            do {
                if step {
                    try ModelBench.step(options: model, threads: BLAS.threads, runs: runs, json: json)
                } else {
                    let inputOptions = try input.map { try InputOptions.parse(["--input", $0] + (index.map { ["--index", "\($0)"] } ?? [])) }
                    try ModelBench.run(options: model, input: inputOptions, mode: m, threads: BLAS.threads, runs: runs, json: json)
                }
            } catch {
                fail("\(error)")
            }
            return
        }
        // `bench` alone is the kernel table (as `--kernels`).
        runKernels()
    }

    /// The kernel table (or JSON) with the conditions it was measured under.
    private func runKernels() {
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
            .split(separator: " ").prefix(3).joined(separator: " ") ?? "unknown"
        let threads = BLAS.threads
        let rows = KernelBench(rates: rates.map { Float($0 / 100) }).run(threads: threads)
        if json {
            struct Report: Codable { var openblas: String; var threads: Int; var loadavg: String; var rows: [KernelBenchRow] }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(Report(openblas: BLAS.config, threads: threads, loadavg: load, rows: rows))) ?? Data()
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("OpenBLAS: \(BLAS.config), threads \(threads); load average (1/5/15 min) before: \(load)")
            print(KernelBench.table(rows), terminator: "")
        }
    }
}
