import Foundation

/// Where a model's weights came from, as the status bar and reports say it.
public struct WeightOrigin: Equatable, Sendable, CustomStringConvertible {
    /// The weights themselves.
    public enum Base: Equatable, Sendable {
        /// The deterministic init of `WeightSource` with this seed (not a trained model).
        case seeded(seed: UInt64)
        /// A weights file, as the user named it (a path or an alias such as `digits`).
        case file(String)
    }

    public var base: Base
    /// What the BN/TSBN running statistics were last calibrated on (nil: as the weights had them).
    public var calibration: String?

    public init(_ base: Base, calibration: String? = nil) {
        self.base = base
        self.calibration = calibration
    }

    /// Seeded weights (whatever their statistics).
    public var isSeeded: Bool { if case .seeded = base { return true } else { return false } }

    /// `seeded`, `seeded + calibrated`, `digits`, `run.pth + calibrated`.
    public var description: String {
        let b: String
        switch base {
        case .seeded: b = "seeded"
        case let .file(path): b = path
        }
        return calibration == nil ? b : b + " + calibrated"
    }
}

/// Which config a weights file is loaded into.
public enum ConfigChoice: Sendable {
    /// None given: the config the file carries (metadata, args, tensor shapes), else `tiny`.
    case fromFile
    /// Named by the user (`--model`): a file that contradicts it in a field deciding the numbers
    /// is an error naming the field; free fields (TSBN window, image size, pooling, eps) keep the
    /// user's value, said in a note.
    case explicit(ModelConfig)
    /// The model a session has: kept when the file agrees with it (or says nothing), replaced by
    /// the file's own config when they differ (`load weights` rebuilds the model).
    case current(ModelConfig)
}

/// What to build: the one description of a model request that the CLI subcommands, the session
/// commands and the TUI all resolve through `ModelPipeline` (so defaults and messages agree).
public struct ModelRequest: Sendable {
    /// Config: a name or JSON path, the session's current one, or the file's.
    public var config: ConfigChoice
    /// A weights file path or alias (`BundledResources.aliases`); nil: seeded init.
    public var weights: String?
    /// What the user calls the weights in messages (default: `weights`).
    public var weightsName: String?
    /// Which entry of the file, under which names.
    public var selection: WeightSelection
    /// Attention heads, when the file carries no config.
    public var heads: Int?
    /// How the heads option is spelt to the user (`--heads N` or `` `heads N` ``).
    public var headsOption: String
    /// Seed of the deterministic init when there are no weights.
    public var seed: UInt64
    /// Calibrate seeded weights' BN/TSBN statistics on the bundled samples (without it nearly
    /// every neuron of a seeded model stays silent). `--uncalibrated` turns it off.
    public var calibrateSeeded: Bool
    /// Overrides T (seeded models only make sense with any T; trained ones keep theirs).
    public var timesteps: Int?

    public init(config: ConfigChoice = .fromFile, weights: String? = nil, weightsName: String? = nil,
                selection: WeightSelection = WeightSelection(), heads: Int? = nil, headsOption: String = "--heads N",
                seed: UInt64 = 0, calibrateSeeded: Bool = true, timesteps: Int? = nil) {
        self.config = config
        self.weights = weights
        self.weightsName = weightsName
        self.selection = selection
        self.heads = heads
        self.headsOption = headsOption
        self.seed = seed
        self.calibrateSeeded = calibrateSeeded
        self.timesteps = timesteps
    }
}

/// A request resolved to a config and the tensors to load (nothing built yet).
public struct ResolvedModel: Sendable {
    public var config: ModelConfig
    /// The weights read (nil: seeded).
    public var checkpoint: Checkpoint?
    /// The config the file carried, when it decided the model (its per-field sources are in
    /// `inferred.report`).
    public var inferred: InferredConfig?
    /// What was done on the way (config fields kept or read from the file, keys renamed, …),
    /// one sentence each, without the file name.
    public var notes: [String]
    public var origin: WeightOrigin
}

/// The one model pipeline: name | JSON | weights file → config → network(s), with the same
/// defaults everywhere (a seeded model is calibrated on the bundled samples unless told not to).
public enum ModelPipeline {
    /// Reads the weights (if any) and decides the config.
    /// - Throws: `CheckpointError`/`SafetensorsError`/`TorchFileError` for an unreadable file,
    ///   `ConfigInferenceError` when an explicit config contradicts the file, `ModelConfigError`
    ///   for an unknown name or bad JSON, `InputError` for a T outside 1...`Limits.maxTimesteps`.
    public static func resolve(_ request: ModelRequest) throws -> ResolvedModel {
        var notes: [String] = []
        var checkpoint: Checkpoint?
        let name = request.weightsName ?? request.weights ?? "weights"
        if let weights = request.weights {
            let path = try BundledResources.locate(weights, as: .weights)
            let c = try BundledResources.naming(weights, path: path) {
                try CheckpointFile.loadStateDict(path: path, selection: request.selection)
            }
            if c.source != "safetensors" { notes.append("weights from \(c.source)") }
            notes += c.notes
            checkpoint = c
        }
        var config: ModelConfig
        var inferred: InferredConfig?
        switch request.config {
        case let .explicit(c):
            config = c
            if let checkpoint, let i = try? ConfigInference.infer(checkpoint, heads: request.heads ?? c.numHeads, file: name,
                                                                   headsOption: request.headsOption) {
                notes += try ConfigInference.check(c, against: i, file: name)
            }
        case let .current(c):
            config = c
            if let checkpoint, ConfigInference.declaresConfig(checkpoint) {
                let i = try ConfigInference.infer(checkpoint, heads: request.heads ?? c.numHeads, file: name, headsOption: request.headsOption)
                do { notes += try ConfigInference.check(c, against: i, file: name) } catch is ConfigInferenceError {
                    config = i.config
                    inferred = i
                }
            }
        case .fromFile:
            if let checkpoint {
                let i = try ConfigInference.infer(checkpoint, heads: request.heads, file: name, headsOption: request.headsOption)
                config = i.config
                inferred = i
            } else {
                config = ModelConfig.named["tiny"]!
            }
        }
        if let inferred { notes += inferred.notes }
        if let t = request.timesteps {
            guard (1...Limits.maxTimesteps).contains(t) else {
                throw InputError(file: config.name, format: "model", expected: "T in 1...\(Limits.maxTimesteps)", found: "T \(t)")
            }
            config = config.with(timesteps: t)
        }
        let origin = WeightOrigin(request.weights.map { .file(request.weightsName ?? $0) } ?? .seeded(seed: request.seed))
        return ResolvedModel(config: config, checkpoint: checkpoint, inferred: inferred, notes: notes, origin: origin)
    }

    /// Builds the unfused model of `resolved`; seeded weights are calibrated on the bundled
    /// samples when `request.calibrateSeeded` (`calibrateSeeded(_:progress:)`: up to 10 CIFAR-10
    /// test images within a compute budget, or the DVS Gesture window for event models). Only the
    /// request's `weights`, `weightsName`, `seed` and `calibrateSeeded` are read here.
    /// - Parameter progress: told what is being done (model build, calibration sample k of n).
    /// - Returns: the model, its weight origin and notes (defaulted buffers, calibration).
    /// - Throws: `WeightLoadError` when the tensors do not fit the config, `ModelLimitError`
    ///   when the model would exceed the memory limit.
    public static func unfused(_ resolved: ResolvedModel, _ request: ModelRequest,
                               progress: ProgressHandler? = nil) throws -> (network: Network, origin: WeightOrigin, notes: [String]) {
        progress?(WorkProgress("building \(resolved.config.name)"))
        let source = request.weightsName ?? request.weights ?? "<seeded init>"
        let net = try Network(config: resolved.config, weights: resolved.checkpoint?.tensors, seed: request.seed, source: source)
        var notes: [String] = []
        var origin = resolved.origin
        if !net.defaultedKeys.isEmpty {
            notes.append("\(net.defaultedKeys.count) num_batches_tracked buffer(s) absent, set to 0 (not used at inference)")
        }
        if origin.isSeeded {
            if request.calibrateSeeded {
                let samples = try calibrateSeeded(net, progress: progress)
                origin.calibration = BundledSamples.calibrationName(for: resolved.config)
                notes.append(seededNote(seed: request.seed, calibratedOn: samples))
            } else {
                notes.append(seededNote(seed: request.seed, calibratedOn: nil))
            }
        }
        return (net, origin, notes)
    }

    /// Synaptic operations (FL, SPEC §9) a seeded model's calibration may spend, summed over
    /// its samples: 10 bundled samples for models up to S-T-4-384 (3.4 G per sample), fewer for
    /// larger ones (S-T-8-768 at 224², 69 G per sample, gets 2), so opening a big model stays
    /// interactive. Seeded weights are no trained model: their statistics only need to make the
    /// neurons fire at realistic rates, which two samples already do.
    public static let seededCalibrationBudgetFL = 40_000_000_000

    /// Calibrates a seeded model's BN/TSBN running statistics on the bundled samples
    /// (`BundledSamples.calibrationInputs`, as many as `seededCalibrationBudgetFL` allows, at
    /// least 2, at most 10; batches of 2): the one seeded calibration of the CLI and the sessions.
    /// - Returns: the number of samples used.
    /// - Throws: what `Calibration.run` throws; `InputError` for a model that takes neither
    ///   images nor events.
    @discardableResult
    public static func calibrateSeeded(_ net: Network, progress: ProgressHandler? = nil) throws -> Int {
        let config = net.config
        let perSample = max(1, net.layers.reduce(0) { $0 + $1.flPerTimestep } * config.timesteps)
        let all = try BundledSamples.calibrationInputs(for: config)
        let inputs = Array(all.prefix(max(min(2, all.count), min(all.count, seededCalibrationBudgetFL / perSample))))
        // Batches of 2: every train-mode window still sees thousands of values per channel, and the
        // peak memory of a train-mode pass grows with the batch (S-T-4-384: 225 MB at 8, 155 at 2).
        try Calibration.run(net, inputs: inputs.map(\.input), kinds: inputs.map(\.kind), batchSize: 2) { p in
            progress?(WorkProgress("calibrating \(config.name) on \(inputs.count) bundled sample(s)", done: p.pass, total: p.passes))
        }
        return inputs.count
    }

    /// What a seeded model is, said the same way by every command.
    public static func seededNote(seed: UInt64, calibratedOn samples: Int?) -> String {
        if let samples {
            return "no weights: seeded init (seed \(seed)), BN/TSBN statistics calibrated on \(samples) bundled sample(s); not a trained model"
        }
        return "no weights: seeded init (seed \(seed)), running statistics 0/1: most neurons stay silent"
    }
}

extension BundledSamples {
    /// What `calibrationInputs(for:)` takes for `config`, in words.
    public static func calibrationName(for config: ModelConfig) -> String {
        config.inChannels == 2 ? BundledResources.dvsGesture : cifar10Name
    }
}
