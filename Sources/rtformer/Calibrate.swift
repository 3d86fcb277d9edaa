import ArgumentParser
import Foundation
import RTFormer

/// `rtformer calibrate`: BN/TSBN running statistics from real data (issue 7).
struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set BN/TSBN running statistics from real inputs (train-mode forwards, cumulative average).")

    @OptionGroup var model: ModelOptions

    @Option(name: .long, help: "A dataset/input file (its records are used) or a directory of input files.")
    var input: String

    @Option(name: .long, parsing: .unconditional, help: "Number of samples to use (default: all records, at most 256).")
    var count: Int?

    @Option(name: .long, parsing: .unconditional, help: "Samples per train-mode pass.")
    var batch: Int = 8

    @Option(name: .long, help: "Output safetensors with the calibrated weights.")
    var out: String

    func run() throws {
        do {
            let resolved = try model.resolve()
            let config = resolved.config
            let net = try model.unfused(resolved, calibrate: false)
            if let count, count < 1 { throw ValidationError("--count must be at least 1, got \(count)") }
            if !(1...256).contains(batch) { throw ValidationError("--batch must be in 1...256, got \(batch)") }
            let samples = try InputPipeline.samples(of: input, limit: count ?? 256, timesteps: config.timesteps, size: config.imgSize,
                                                    channels: config.inChannels, modelName: config.name)
            let start = Date()
            // A live progress line on a terminal; one line per 10 passes (and the last) otherwise.
            let live = isatty(STDERR_FILENO) != 0
            try Calibration.run(net, inputs: samples.map(\.input), kinds: samples.map(\.kind), batchSize: batch) { p in
                let line = String(format: "calibrating: pass %d/%d, %d samples, %.1f s", p.pass, p.passes, p.samples, Date().timeIntervalSince(start))
                if live {
                    FileHandle.standardError.write(("\r" + line + (p.pass == p.passes ? "\n" : "")).data(using: .utf8)!)
                } else if p.pass % 10 == 0 || p.pass == p.passes {
                    FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
                }
            }
            try net.save(to: out, metadata: ["calibration": "\(samples.count) samples from \(input), cumulative average, batch \(batch)"])
            print("wrote \(out): \(config.name) calibrated on \(samples.count) samples")
        } catch {
            fail("\(error)")
        }
    }
}
