import ArgumentParser
import Foundation
import RTFormer

/// Options shared by the subcommands that run a model (DESIGN §6).
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Named config (\(ModelConfig.namedOrder.joined(separator: ", "))) or a config JSON file. Default: the config the --weights file carries (args, metadata, tensor shapes), else tiny.")
    var model: String?

    @Option(name: .long, help: "Weights: safetensors or PyTorch .pth/.pt/.pth.tar (a state_dict or a training checkpoint; unfused or deploy), `digits` (bundled trained tiny) or `demo` (bundled γ<0 demo checkpoint). Default: seeded init.")
    var weights: String?

    @OptionGroup var choice: WeightChoiceOptions

    /// `--heads`.
    var heads: Int? { choice.heads }

    @Option(name: .long, help: "Seed of the deterministic init when no --weights are given.")
    var seed: UInt64 = 0

    @Flag(name: .long, help: "Without --weights: keep the seeded model's running statistics at 0/1 (by default they are calibrated on the bundled samples, else nearly every neuron stays silent).")
    var uncalibrated = false

    /// The selection options as the library takes them.
    func selection() throws -> WeightSelection { try choice.selection(weights: weights) }

    /// The request these options make (`ModelPipeline`, shared with the sessions).
    func request(timesteps: Int? = nil, calibrate: Bool = true) throws -> ModelRequest {
        let config: ConfigChoice = try model.map { .explicit(try ModelConfig.load($0)) } ?? .fromFile
        if let timesteps, !(1...Limits.maxTimesteps).contains(timesteps) {
            throw ValidationError("--timesteps must be in 1...\(Limits.maxTimesteps)")
        }
        return ModelRequest(config: config, weights: weights, selection: try selection(), heads: heads, seed: seed,
                            calibrateSeeded: calibrate && !uncalibrated, timesteps: timesteps)
    }

    /// The config and the weights: `--model`, checked against what the weights file says; or,
    /// without `--model`, the config the file carries (said on stderr field by field); or `tiny`.
    /// `timesteps` overrides T. What was done on the way is said on stderr.
    func resolve(timesteps: Int? = nil) throws -> ResolvedModel {
        let resolved = try ModelPipeline.resolve(try request(timesteps: timesteps))
        if let weights, let inferred = resolved.inferred { note("\(weights): config from the file: " + inferred.report.joined(separator: ", ")) }
        for n in resolved.notes { note("\(weights ?? resolved.config.name): \(n)") }
        return resolved
    }

    /// The unfused model, and the deploy model when `deploy` (converted from unfused weights, or
    /// loaded directly from a deploy checkpoint).
    /// - Parameter calibrate: calibrate seeded weights on the bundled samples (off for `info`,
    ///   which runs nothing, and `calibrate`, which calibrates on its own inputs).
    func networks(_ resolved: ResolvedModel, deploy: Bool, fold: ThresholdFoldMode,
                  calibrate: Bool = true) throws -> (unfused: Network?, deploy: Network?) {
        let config = resolved.config
        let source = weights ?? "<seeded init>"
        if let dict = resolved.checkpoint?.tensors, checkpointFlavour(dict) == .deploy {
            guard deploy else {
                throw WeightLoadError.wrongFlavour(file: source, model: config.name, expected: .unfused, found: .deploy)
            }
            return (nil, try Network(config: config, flavour: .deploy, weights: dict, source: source))
        }
        let unfused = try self.unfused(resolved, calibrate: calibrate)
        return (unfused, deploy ? try DeployConversion.convert(unfused, fold: fold) : nil)
    }

    /// The unfused model of `resolved`; without weights seeded and (unless `--uncalibrated` or
    /// `calibrate` is false) calibrated on the bundled samples, said on stderr so nobody mistakes
    /// it for a trained model.
    func unfused(_ resolved: ResolvedModel, calibrate: Bool = true) throws -> Network {
        let progress = ProgressPrinter()
        // What building needs of the request (config and tensors are already in `resolved`).
        let build = ModelRequest(weights: weights, seed: seed, calibrateSeeded: calibrate && !uncalibrated)
        let built = try ModelPipeline.unfused(resolved, build, progress: progress.handler)
        progress.clear()
        let seeded = ModelPipeline.seededNote(seed: seed, calibratedOn: nil)
        for n in built.notes {
            // A command that runs nothing (`info`) has nothing to calibrate for: say so rather than
            // warn that neurons stay silent.
            let text = !calibrate && !uncalibrated && n == seeded ? "no weights: seeded init (seed \(seed)); nothing runs, so nothing is calibrated" : n
            note((weights.map { "\($0): " } ?? "") + text)
        }
        return built.network
    }
}

/// `--ema`, `--key`, `--key-map`, `--heads`: which weights of a file, under which names, and the
/// heads a bare state_dict cannot tell (issue 12). Shared by the model commands and the sessions.
struct WeightChoiceOptions: ParsableArguments {
    @Flag(name: .long, help: "Load the checkpoint's EMA weights (state_dict_ema, else model_ema).")
    var ema = false

    @Option(name: .long, help: "Load this top-level entry of the checkpoint as the state_dict.")
    var key: String?

    @Option(name: .customLong("key-map"), help: "JSON list of {\"from\": regex, \"to\": replacement} renaming the weights' keys before loading.")
    var keyMap: String?

    @Option(name: .long, parsing: .unconditional, help: "Attention heads, when the weights carry no config (heads do not show in the tensor shapes).")
    var heads: Int?

    /// The choice as the library takes it; `weights` is the `--weights` it applies to.
    func selection(weights: String?) throws -> WeightSelection {
        if weights == nil && (ema || key != nil || keyMap != nil || heads != nil) {
            throw ValidationError("--ema, --key, --key-map and --heads apply to a weights file: add --weights")
        }
        if ema && key != nil { throw ValidationError("--ema and --key both choose the entry to load: give one") }
        if let heads, heads < 1 { throw ValidationError("--heads must be ≥ 1") }
        return WeightSelection(ema: ema, key: key, keyMap: try keyMap.map { try KeyMap.load(path: $0) })
    }

    /// The same choice as options of the session command `load weights FILE …`.
    var sessionOptions: String {
        func quoted(_ s: String) -> String { s.contains(" ") ? "\"\(s)\"" : s }
        return (ema ? " ema" : "") + (key.map { " key \(quoted($0))" } ?? "") + (keyMap.map { " map \(quoted($0))" } ?? "")
            + (heads.map { " heads \($0)" } ?? "")
    }
}

/// `--input` and `--index` (DESIGN §6).
struct InputOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Input: CIFAR-10/100 .bin, PNG/JPEG/PPM image, event file (.bin/.bs2 40-bit, AEDAT4, Prophesee .dat), a tensor (.npy, .pth, safetensors `input` [B, C, H, W], already normalised), `default` (bundled CIFAR-10 test images 0-9), `digits` (bundled test digits 0-9, record k is digit k) or `gesture` (bundled DVS window).",
        discussion: "The format is recognised by its signature and structure; --format names it instead."))
    var input: String

    @Option(name: .long, parsing: .unconditional, help: "Record of a dataset file or sample of a batch (default: record 0 of a dataset, the whole batch of a tensor file).")
    var index: Int?

    @Option(name: .long, help: "Event binning into T frames: number | time.")
    var splitBy: String = "number"

    @Option(name: .long, help: ArgumentHelp("Read --input as this format instead of recognising it.", valueName: formatNames))
    var format: String?

    static let formatNames = FormatRecognition.optionNames.map(\.name).joined(separator: "|")

    /// `--format` as a reader's format (nil when absent).
    func inputFormat() throws -> InputFormat? {
        guard let format else { return nil }
        guard let f = FormatRecognition.format(named: format) else { throw ValidationError("--format must be one of \(Self.formatNames), not '\(format)'") }
        return f
    }

    /// The selection these options make (`InputPipeline`, shared with the sessions).
    func selection() throws -> InputSelection {
        guard let split = EventSplit(rawValue: splitBy) else { throw ValidationError("--split-by must be number or time") }
        return InputSelection(source: input, index: index, format: try inputFormat(), splitBy: split)
    }

    /// The input encoded as `[T, B, C, H, W]` for `config`, with its kind (static image or
    /// frames); the reader's remarks and the encoding summary go to stderr.
    func encoded(for config: ModelConfig) throws -> (input: Tensor, kind: InputKind) {
        let sample = try InputPipeline.load(try selection(), timesteps: config.timesteps, size: config.imgSize,
                                            channels: config.inChannels, modelName: config.name)
        for remark in sample.notes { note("\(input): \(remark)") }
        // How the input was encoded (normalisation, crop/resize, event binning and placement).
        for line in sample.summary.split(separator: "\n") where !line.isEmpty { note(String(line)) }
        return (sample.input, sample.kind)
    }
}

extension ThresholdFoldMode: ExpressibleByArgument {}

/// Prints an informational line on stderr (stdout stays the command's output); control
/// characters are escaped, as notes quote file names and keys.
func note(_ message: String) {
    FileHandle.standardError.write(("note: " + Printable.escape(message, limit: 2000) + "\n").data(using: .utf8)!)
}

/// Prints an error as one line on stderr (control characters escaped: errors quote files) and
/// exits with `code`.
func fail(_ message: String, code: Int32 = 2) -> Never {
    FileHandle.standardError.write(("rtformer: " + Printable.escape(message, limit: 2000) + "\n").data(using: .utf8)!)
    exit(code)
}

/// Encodes JSON-compatible values with sorted keys.
func jsonString(_ value: Any) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
}
