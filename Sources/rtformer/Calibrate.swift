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

    @Option(name: .long, help: "Number of samples to use (default: all records, at most 256).")
    var count: Int?

    @Option(name: .long, help: "Samples per train-mode pass.")
    var batch: Int = 8

    @Option(name: .long, help: "Output safetensors with the calibrated weights.")
    var out: String

    func run() throws {
        do {
            let (config, weights) = try model.resolve()
            let net = try model.seeded(config: config, dict: weights?.tensors, source: model.weights ?? "<seeded init>", calibrate: false)
            var files: [String] = []
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isDir) else { fail("\(input): no such file or directory") }
            if isDir.boolValue {
                files = try FileManager.default.contentsOfDirectory(atPath: input).sorted().map { input + "/" + $0 }
                    .filter { !$0.hasSuffix(".txt") && !$0.hasSuffix(".csv") && !$0.hasSuffix(".md") }
                    .filter { var d: ObjCBool = false; return FileManager.default.fileExists(atPath: $0, isDirectory: &d) && !d.boolValue }
            } else {
                files = [input]
            }
            let limit = count ?? 256
            var samples: [Tensor] = []
            for f in files where samples.count < limit {
                let first = try InputFile.load(path: f, index: 0)
                let records = max(1, first.recordCount)
                for i in 0..<records where samples.count < limit {
                    let loaded = i == 0 ? first : try InputFile.load(path: f, index: i)
                    let enc = try InputEncoder.encode(loaded, file: f, timesteps: config.timesteps, size: config.imgSize)
                    samples.append(enc.input)
                }
            }
            guard !samples.isEmpty else { fail("\(input): no inputs found") }
            let start = Date()
            // A live progress line on a terminal; one line per 10 passes (and the last) otherwise.
            let live = isatty(STDERR_FILENO) != 0
            try Calibration.run(net, inputs: samples, batchSize: batch) { p in
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
