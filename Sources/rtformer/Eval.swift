import ArgumentParser
import Foundation
import RTFormer

/// `rtformer eval`: both twins over a whole dataset — accuracy, deploy agreement, verdicts,
/// firing rates, energy — with streaming accumulators, samples in parallel, `--shard i/n` for
/// scale-out (`rtformer merge` combines the parts).
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate the unfused and deploy models over a dataset: accuracy, agreement, verdicts, firing rates, energy.",
        discussion: """
            DATA: a CIFAR-10/100 record file (every record), a folder of class folders (DATA/<class>/*.png|jpg, \
            or event files; classes sorted by name as torchvision's ImageFolder), a folder with a labels.csv \
            (file,label), or a .npy/safetensors tensor [N, C, H, W] with labels (safetensors tensor `labels`; \
            beside a .npy: <stem>_labels.npy or labels.npy). --shard i/n evaluates the i-th of n contiguous \
            slices (0-based) and writes a partial result that `rtformer merge` combines exactly.
            """)

    @OptionGroup var model: ModelOptions

    @Option(name: .long, help: "Dataset: CIFAR record file, class folders, folder with labels.csv, or .npy/safetensors with labels.")
    var input: String

    @Option(name: .long, parsing: .unconditional, help: "Evaluate only the first N samples.")
    var limit: Int?

    @Option(name: .long, help: "Threshold fold of the deploy twin: exact | paper.")
    var fold: ThresholdFoldMode = .exact

    @Option(name: .long, help: "Evaluate slice i of n (0-based, contiguous), e.g. 3/16.")
    var shard: String?

    @Option(name: .long, parsing: .unconditional, help: "Samples evaluated in parallel (default: the number of cores).")
    var threads: Int?

    @Option(name: .long, help: "Event binning into T frames: number | time.")
    var splitBy: String = "number"

    @Flag(name: .long, help: "JSON report on stdout.")
    var json = false

    @Option(name: .long, help: "Also write the JSON report (a partial result with --shard) to this file.")
    var out: String?

    func run() throws {
        let result: [String: Any]
        do {
            guard let split = EventSplit(rawValue: splitBy) else { throw ValidationError("--split-by must be number or time") }
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
            let slice = try shard.map(ShardSpec.parse) ?? ShardSpec(index: 0, count: 1)
            let resolved = try model.resolve()
            let config = resolved.config
            let dataset = try EvalDataset.open(try BundledResources.locate(input, as: .input))
            for remark in dataset.notes { note("\(input): \(remark)") }
            let nets = try model.networks(resolved, deploy: false, fold: fold)
            guard let unfused = nets.unfused else {
                fail("eval needs unfused weights (the deploy twin is built from them); \(model.weights ?? "") is a deploy checkpoint")
            }
            let total = min(limit ?? dataset.count, dataset.count)
            let range = slice.range(of: total)
            // Each worker holds its own twin pair, so workers beyond the cores add memory, not speed.
            let cores = ProcessInfo.processInfo.activeProcessorCount
            if let threads, threads > cores { note("--threads \(threads): this machine has \(cores) cores; using \(cores) workers") }
            let workers = min(threads ?? cores, cores)
            BLAS.setThreads(1)
            // samples_per_s times the evaluation itself (not loading or calibrating the model).
            let started = DispatchTime.now().uptimeNanoseconds
            let bar = ProgressLine(total: range.count, label: "eval \(config.name) on \(input)" + (shard.map { " shard \($0)" } ?? ""))
            let evaluation = try DatasetEvaluation.run(config: config, weights: unfused.currentStateDict(), fold: fold, dataset: dataset,
                                                       indices: range, workers: workers, splitBy: split) { bar.update($0) }
            bar.finish()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            let meta = EvalResult.Meta(model: config.name, weights: model.weights ?? "seeded (seed \(model.seed))", input: input,
                                       layout: dataset.layout, fold: fold.rawValue, datasetSamples: total, shard: slice,
                                       first: range.lowerBound, end: range.upperBound, threads: workers)
            result = try EvalResult.json(evaluation, meta: meta, seconds: seconds)
        } catch let e as ValidationError {
            fail(e.message)
        } catch {
            fail("\(error)")
        }
        try EvalResult.emit(result, json: json, out: out)
    }
}

/// `--shard i/n`: the i-th of n contiguous slices (0-based).
struct ShardSpec: Equatable {
    var index: Int
    var count: Int

    static func parse(_ s: String) throws -> ShardSpec {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else {
            throw ValidationError("--shard must be i/n with 0 ≤ i < n (e.g. 3/16), not '\(s)'")
        }
        return ShardSpec(index: i, count: n)
    }

    /// Samples `[⌊i·N/n⌋, ⌊(i+1)·N/n⌋)` of N.
    func range(of total: Int) -> Range<Int> { (index * total / count)..<((index + 1) * total / count) }
}

/// A progress line on stderr: a bar redrawn in place on a terminal, a plain line every 5 s otherwise.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let total: Int
    private let label: String
    private let tty = isatty(STDERR_FILENO) != 0
    private let start = DispatchTime.now().uptimeNanoseconds
    private var lastDraw: UInt64 = 0
    private var done = 0

    init(total: Int, label: String) {
        self.total = total
        self.label = label
    }

    func update(_ done: Int) {
        lock.lock(); defer { lock.unlock() }
        self.done = max(self.done, done)
        let now = DispatchTime.now().uptimeNanoseconds
        let interval: UInt64 = tty ? 100_000_000 : 5_000_000_000
        guard now - lastDraw >= interval || self.done == total else { return }
        lastDraw = now
        draw(now)
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        if tty && total > 0 { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func draw(_ now: UInt64) {
        let elapsed = Double(now - start) / 1e9
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let stats = String(format: "%d/%d  %.1f samples/s  ETA %@", done, total, rate, Self.duration(eta))
        if tty {
            let width = 30, filled = total > 0 ? width * done / total : width
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(stats)\u{1B}[K".utf8))
        } else {
            FileHandle.standardError.write(Data("\(label): \(stats)\n".utf8))
        }
    }

    static func duration(_ s: Double) -> String {
        let n = Int(s.rounded())
        return n >= 3600 ? "\(n / 3600)h\(String(format: "%02d", n % 3600 / 60))m" : n >= 60 ? "\(n / 60)m\(String(format: "%02d", n % 60))s" : "\(n)s"
    }
}
