import COpenBLAS
import Foundation

/// What one sample gave: both twins' top-1, top-5 hits, the twins' spike comparison, energy.
public struct SampleOutcome: Sendable, Codable, Equatable {
    /// Index of the sample in the dataset.
    public var index: Int
    /// The sample's class label.
    public var label: Int
    /// Top-1 class of the unfused and the deploy model (first index on ties).
    public var unfused: Int
    public var deploy: Int
    /// The label is among the 5 largest logits (classes > 5 only; false otherwise).
    public var unfusedTop5: Bool
    public var deployTop5: Bool
    /// End-to-end spike mismatches deploy vs unfused over every LIF, t and neuron (SPEC R9 classes).
    public var mismatches: MismatchCount
    /// The sample's equivalence verdict (`Equivalence`'s one definition: origins attributed).
    public var verdict: EquivalenceVerdict
    /// Energy of the unfused model on this sample in pJ (`EnergyReport.totalPJ`; conv0 × T for
    /// event inputs) and its synaptic operations.
    public var energyPJ: Double
    public var sop: Double
}

/// Spike counts of one LIF layer summed over samples (the sums partial results carry).
public struct LayerSpikeCounts: Sendable, Codable, Equatable {
    /// Module path (SPEC R1).
    public var path: String
    /// Neurons of the layer per sample and timestep (`LIFRecord.shape.product`).
    public var neurons: Int
    /// Spikes of the unfused and the deploy model per timestep, summed over samples and neurons.
    public var unfused: [Int]
    public var deploy: [Int]
}

/// A whole-dataset answer built from streaming accumulators: per-sample outcomes (a few numbers
/// each) and per-layer spike counts; nothing per neuron is kept across samples, so memory is the
/// model's and one sample's activations per worker, whatever the number of samples.
///
/// Partial results (shards) merge exactly: counts add, outcomes concatenate in index order, and
/// every mean is recomputed from the merged sums in index order.
public struct DatasetEvaluation: Sendable, Codable, Equatable {
    /// T of the model.
    public var timesteps: Int
    /// Classes of the model's output (top-5 is reported when > 5).
    public var classes: Int
    /// Outcomes in dataset index order.
    public var outcomes: [SampleOutcome]
    /// LIF layers in execution order.
    public var layers: [LayerSpikeCounts]

    /// An evaluation of `outcomes` (dataset index order) and `layers`' spike counts.
    public init(timesteps: Int, classes: Int, outcomes: [SampleOutcome] = [], layers: [LayerSpikeCounts] = []) {
        self.timesteps = timesteps
        self.classes = classes
        self.outcomes = outcomes
        self.layers = layers
    }

    // MARK: the report

    /// Samples evaluated.
    public var samples: Int { outcomes.count }
    /// Labels in dataset order.
    public var labels: [Int] { outcomes.map(\.label) }
    /// Top-1 of the unfused and the deploy model in dataset order.
    public var unfusedPredictions: [Int] { outcomes.map(\.unfused) }
    public var deployPredictions: [Int] { outcomes.map(\.deploy) }
    /// Samples whose top-1 (or top-5) is the label, per twin.
    public var unfusedCorrect: Int { outcomes.filter { $0.unfused == $0.label }.count }
    public var deployCorrect: Int { outcomes.filter { $0.deploy == $0.label }.count }
    public var unfusedTop5Correct: Int { outcomes.filter(\.unfusedTop5).count }
    public var deployTop5Correct: Int { outcomes.filter(\.deployTop5).count }
    /// Samples where both twins give the same top-1.
    public var agreement: Int { outcomes.filter { $0.unfused == $0.deploy }.count }
    /// Dataset indices where the twins' top-1 differ.
    public var disagreements: [Int] { outcomes.filter { $0.unfused != $0.deploy }.map(\.index) }
    /// Samples per verdict (`DatasetEvaluation.verdictNames` order).
    public var verdicts: [String: Int] {
        var out = Dictionary(uniqueKeysWithValues: Self.verdictNames.map { ($0, 0) })
        for o in outcomes { out[o.verdict.rawValue, default: 0] += 1 }
        return out
    }
    /// Spike mismatches over all samples.
    public var mismatchTotal: MismatchCount { outcomes.reduce(MismatchCount()) { $0 + $1.mismatches } }

    /// Firing rate of each LIF of the unfused (or deploy) model: spikes / (samples · T · neurons).
    public func firingRates(deploy: Bool = false) -> [(path: String, mean: Double, perT: [Double])] {
        let n = Double(max(samples, 1))
        return layers.map { l in
            let counts = deploy ? l.deploy : l.unfused
            let perT = counts.map { Double($0) / (n * Double(l.neurons)) }
            return (l.path, Double(counts.reduce(0, +)) / (n * Double(timesteps) * Double(l.neurons)), perT)
        }
    }

    /// Mean, min and max over samples of a per-sample value, summed in index order.
    public static func summary(_ values: [Double]) -> (mean: Double, min: Double, max: Double) {
        guard let lo = values.min(), let hi = values.max() else { return (0, 0, 0) }
        return (values.reduce(0, +) / Double(values.count), lo, hi)
    }

    // MARK: verdicts

    /// Verdict names, in report order.
    public static let verdictNames = ["equivalent", "equivalent_up_to_rounding", "not_equivalent"]

    /// One sample's verdict, by `Equivalence`'s single definition: no end-to-end mismatch is
    /// `equivalent` (settled by the streaming comparison); otherwise the sample is re-run once with
    /// the recording the attribution needs (`Equivalence.verdict`), whose local origins decide
    /// between `equivalent_up_to_rounding` and `not_equivalent`. Only samples with a mismatch pay
    /// for that second, recorded run.
    static func verdict(_ m: MismatchCount, unfused: Network, deploy: Network, input: Tensor, kind: InputKind,
                        fold: ThresholdFoldMode) throws -> EquivalenceVerdict {
        m.mismatches == 0 ? .equivalent : try Equivalence.verdict(unfused: unfused, deploy: deploy, input: input, kind: kind, fold: fold)
    }

    // MARK: merging

    /// Combines disjoint partial results into the result of their union.
    /// - Throws: `DatasetEvaluationError` when the parts differ in model shape (T, classes,
    ///   layers) or share a sample index.
    public static func merged(_ parts: [DatasetEvaluation]) throws -> DatasetEvaluation {
        guard var out = parts.first else { throw DatasetEvaluationError.nothingToMerge }
        out.outcomes = []
        out.layers = out.layers.map { LayerSpikeCounts(path: $0.path, neurons: $0.neurons,
                                                       unfused: [Int](repeating: 0, count: $0.unfused.count),
                                                       deploy: [Int](repeating: 0, count: $0.deploy.count)) }
        for (k, p) in parts.enumerated() {
            guard p.timesteps == out.timesteps, p.classes == out.classes,
                  p.layers.map(\.path) == out.layers.map(\.path), p.layers.map(\.neurons) == out.layers.map(\.neurons) else {
                throw DatasetEvaluationError.incompatible(part: k, reason: "another model (T, classes or layers differ)")
            }
            for (i, l) in p.layers.enumerated() {
                for t in l.unfused.indices { out.layers[i].unfused[t] += l.unfused[t] }
                for t in l.deploy.indices { out.layers[i].deploy[t] += l.deploy[t] }
            }
            out.outcomes += p.outcomes
        }
        out.outcomes.sort { $0.index < $1.index }
        for (a, b) in zip(out.outcomes, out.outcomes.dropFirst()) where a.index == b.index {
            throw DatasetEvaluationError.overlap(index: a.index)
        }
        return out
    }

    // MARK: running

    /// Runs both twins on samples `indices` of `dataset`, `workers` samples at a time in parallel
    /// (each worker owns its own unfused and deploy `Network`, built from `weights`; B = 1).
    /// - Parameters:
    ///   - config: the model; `weights` its unfused state_dict (trained, or seeded and calibrated
    ///     `Network.currentStateDict()`).
    ///   - fold: the deploy twin's threshold fold.
    ///   - progress: called after each sample with the number done so far (from the worker threads).
    /// - Returns: the outcomes in index order and the spike counts.
    /// - Throws: the first error of any sample (reader errors name the file and record), or a
    ///   weight/conversion error.
    public static func run(config: ModelConfig, weights: StateDict, fold: ThresholdFoldMode, dataset: EvalDataset,
                           indices: Range<Int>, workers: Int, splitBy: EventSplit = .number,
                           progress: (@Sendable (Int) -> Void)? = nil) throws -> DatasetEvaluation {
        let shared = SharedProgress(indices: indices)
        let count = max(1, min(workers, indices.count))
        DispatchQueue.concurrentPerform(iterations: count) { _ in
            do {
                let worker = try Worker(config: config, weights: weights, fold: fold)
                while let i = shared.next() {
                    let r = try worker.evaluate(dataset: dataset, index: i, splitBy: splitBy)
                    let done = shared.finish(r)
                    progress?(done)
                }
                shared.add(worker.counts)
            } catch {
                shared.fail(error)
            }
        }
        if let error = shared.error { throw error }
        var out = DatasetEvaluation(timesteps: config.timesteps, classes: config.numClasses)
        out.outcomes = shared.outcomes.sorted { $0.index < $1.index }
        out.layers = shared.counts ?? []
        return out
    }

    /// One worker: its twins and its spike counts.
    final class Worker {
        let unfused: Network
        let deploy: Network
        let fold: ThresholdFoldMode
        var counts: [LayerSpikeCounts]?

        init(config: ModelConfig, weights: StateDict, fold: ThresholdFoldMode) throws {
            self.fold = fold
            unfused = try Network(config: config, weights: weights)
            deploy = try DeployConversion.convert(unfused, fold: fold)
        }

        func evaluate(dataset: EvalDataset, index: Int, splitBy: EventSplit) throws -> SampleOutcome {
            let config = unfused.config
            let (sample, label) = try dataset.encodedSample(index, timesteps: config.timesteps, size: config.imgSize, splitBy: splitBy)
            let x = sample.input, kind = sample.kind
            guard x.shape[2] == config.inChannels else {
                throw InputError(file: dataset.path, format: "dataset", location: "sample \(index)",
                                 expected: "\(config.inChannels) input channels for model '\(config.name)'", found: "\(x.shape[2])")
            }
            let recU = Recorder(level: .spikes), recD = Recorder(level: .spikes)
            let logitsU = try unfused.forward(x, kind: kind, recorder: recU)
            let logitsD = try deploy.forward(x, kind: kind, recorder: recD)
            let mismatches = DatasetEvaluation.mismatches(unfused: recU, deploy: recD)
            if counts == nil {
                counts = recU.lifOrder.map { p in
                    LayerSpikeCounts(path: p, neurons: recU.lifs[p]!.shape.product, unfused: [Int](repeating: 0, count: config.timesteps),
                                     deploy: [Int](repeating: 0, count: config.timesteps))
                }
            }
            for k in counts!.indices {
                let path = counts![k].path
                for t in 0..<config.timesteps {
                    counts![k].unfused[t] += recU.lifs[path].map { DatasetEvaluation.spikes($0, t: t) } ?? 0
                    counts![k].deploy[t] += recD.lifs[path].map { DatasetEvaluation.spikes($0, t: t) } ?? 0
                }
            }
            let energy = EnergyReport(layers: unfused.layers, recorder: recU, timesteps: config.timesteps)
            let top5 = config.numClasses > 5
            return SampleOutcome(index: index, label: label, unfused: DatasetEvaluation.top(logitsU, 1)[0],
                                 deploy: DatasetEvaluation.top(logitsD, 1)[0],
                                 unfusedTop5: top5 && DatasetEvaluation.top(logitsU, 5).contains(label),
                                 deployTop5: top5 && DatasetEvaluation.top(logitsD, 5).contains(label),
                                 mismatches: mismatches,
                                 verdict: try DatasetEvaluation.verdict(mismatches, unfused: unfused, deploy: deploy, input: x, kind: kind,
                                                                        fold: fold),
                                 energyPJ: kind == .frames ? energy.totalPJConv0TimesT : energy.totalPJ, sop: energy.sop)
        }
    }

    /// Spikes of a record at timestep t (all samples of its batch, all neurons): the popcount
    /// of its bit-packed spikes.
    static func spikes(_ r: LIFRecord, t: Int) -> Int {
        r.spikeCount(at: t)
    }

    /// The `k` classes of largest logit of sample 0 of `logits` `[B, classes]`, largest first,
    /// lower index first on ties (as `torch.argmax` on CPU).
    static func top(_ logits: Tensor, _ k: Int) -> [Int] {
        let c = logits.shape[1]
        let row = Array(logits.storage[0..<c])
        return Array(row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }.prefix(k))
    }

    /// End-to-end spike mismatches of the deploy run against the unfused one over every LIF both
    /// recorded, classified by the unfused margin (SPEC R9, `MismatchCount.isRounding`).
    /// `unfused` and `deploy` are finished runs of the same input (`Recorder.Level.spikes` or `.full`).
    public static func mismatches(unfused: Recorder, deploy: Recorder) -> MismatchCount {
        var m = MismatchCount()
        for path in unfused.lifOrder {
            guard let ru = unfused.lifs[path], let rd = deploy.lifs[path], ru.spikeBits.count == rd.spikeBits.count else { continue }
            // Most layers agree everywhere: comparing the packed words settles them.
            if ru.spikeBits == rd.spikeBits { continue }
            let compared = ru.hHat ?? ru.h
            for t in 0..<ru.timesteps {
                for j in ru.spikeDifferences(from: rd, at: t) {
                    let i = t * ru.perStep + j
                    m.mismatches += 1
                    if MismatchCount.isRounding(margin: compared[i] - ru.vThreshold, vThreshold: ru.vThreshold) {
                        m.rounding += 1
                    } else {
                        m.structural += 1
                    }
                }
            }
        }
        return m
    }
}

/// Partial results that cannot be merged.
public enum DatasetEvaluationError: Error, Equatable, CustomStringConvertible {
    case nothingToMerge
    case incompatible(part: Int, reason: String)
    case overlap(index: Int)

    public var description: String {
        switch self {
        case .nothingToMerge: return "no partial results to merge"
        case let .incompatible(part, reason): return "part \(part + 1) cannot be merged with the first: \(reason)"
        case let .overlap(index): return "sample \(index) is in more than one part (overlapping shards)"
        }
    }
}

/// The work queue and results the workers share (every access under the lock).
private final class SharedProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex: Int
    private let end: Int
    private(set) var outcomes: [SampleOutcome] = []
    private(set) var counts: [LayerSpikeCounts]?
    private(set) var error: Error?

    init(indices: Range<Int>) {
        nextIndex = indices.lowerBound
        end = indices.upperBound
        outcomes.reserveCapacity(indices.count)
    }

    func next() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard error == nil, nextIndex < end else { return nil }
        defer { nextIndex += 1 }
        return nextIndex
    }

    func finish(_ o: SampleOutcome) -> Int {
        lock.lock(); defer { lock.unlock() }
        outcomes.append(o)
        return outcomes.count
    }

    func add(_ c: [LayerSpikeCounts]?) {
        guard let c else { return }
        lock.lock(); defer { lock.unlock() }
        guard var total = counts else { counts = c; return }
        for i in total.indices {
            for t in total[i].unfused.indices { total[i].unfused[t] += c[i].unfused[t] }
            for t in total[i].deploy.indices { total[i].deploy[t] += c[i].deploy[t] }
        }
        counts = total
    }

    func fail(_ e: Error) {
        lock.lock(); defer { lock.unlock() }
        if error == nil { error = e }
    }
}
