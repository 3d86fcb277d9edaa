import ArgumentParser
import Foundation
import RTFormer

/// Options shared by the subcommands that run a model (DESIGN §6).
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Named config (\(ModelConfig.namedOrder.joined(separator: ", "))) or a config JSON file.")
    var model: String = "tiny"

    @Option(name: .long, help: "Weights: safetensors or PyTorch .pth/.pt with state_dict keys (unfused or deploy), or `demo` (bundled tiny checkpoint). Default: seeded init.")
    var weights: String?

    @Option(name: .long, help: "Seed of the deterministic init when no --weights are given.")
    var seed: UInt64 = 0

    /// The config, with `timesteps` overriding T when given.
    func config(timesteps: Int? = nil) throws -> ModelConfig {
        var c = try ModelConfig.load(model)
        if let timesteps {
            guard timesteps >= 1 else { throw ValidationError("--timesteps must be ≥ 1") }
            c = c.with(timesteps: timesteps)
        }
        return c
    }

    /// Reads `--weights` (nil when absent): safetensors or a PyTorch `.pth`/`.pt` checkpoint.
    func stateDict() throws -> StateDict? {
        guard let weights else { return nil }
        let checkpoint = try CheckpointFile.loadStateDict(path: try BundledResources.resolve(weights))
        if checkpoint.source != "safetensors" {
            FileHandle.standardError.write("rtformer: \(weights): weights from \(checkpoint.source)\n".data(using: .utf8)!)
        }
        return checkpoint.tensors
    }

    /// The unfused model, and the deploy model when `deploy` (converted from unfused weights, or
    /// loaded directly from a deploy checkpoint).
    func networks(config: ModelConfig, deploy: Bool, fold: ThresholdFoldMode) throws -> (unfused: Network?, deploy: Network?) {
        let dict = try stateDict()
        let source = weights ?? "<seeded init>"
        if let dict, checkpointFlavour(dict) == .deploy {
            guard deploy else {
                throw WeightLoadError.wrongFlavour(file: source, model: config.name, expected: .unfused, found: .deploy)
            }
            return (nil, try Network(config: config, flavour: .deploy, weights: dict, source: source))
        }
        let unfused = try Network(config: config, weights: dict, seed: seed, source: source)
        return (unfused, deploy ? try DeployConversion.convert(unfused, fold: fold) : nil)
    }
}

/// `--input` and `--index` (DESIGN §6).
struct InputOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Input: CIFAR-10/100 .bin, PNG/JPEG/PPM image, event file (.bin/.bs2 40-bit, AEDAT4, Prophesee .dat), a tensor (.npy, .pth, safetensors `input` [B, C, H, W], already normalised), or `gesture` (bundled DVS window).",
        discussion: "The format is recognised by content."))
    var input: String

    @Option(name: .long, help: "Record of a dataset file or sample of a batch (default: record 0 of a dataset, the whole batch of a tensor file).")
    var index: Int?

    @Option(name: .long, help: "Event binning into T frames: number | time.")
    var splitBy: String = "number"

    /// The input encoded as `[T, B, C, H, W]` for `config`; the encoding summary goes to stderr.
    func encoded(for config: ModelConfig) throws -> Tensor {
        guard let split = EventSplit(rawValue: splitBy) else { throw ValidationError("--split-by must be number or time") }
        let loaded = try InputFile.load(path: try BundledResources.resolve(input), index: index)
        let enc = try InputEncoder.encode(loaded, file: input, timesteps: config.timesteps, size: config.imgSize, splitBy: split)
        guard enc.input.shape[2] == config.inChannels else {
            throw ValidationError("\(input): gives \(enc.input.shape[2]) channels, model '\(config.name)' takes \(config.inChannels)"
                                  + (enc.input.shape[2] == 2 ? " (event input: use a DVS config such as tiny-dvs)" : ""))
        }
        return enc.input
    }
}

extension ThresholdFoldMode: ExpressibleByArgument {}

/// Prints an error as one line on stderr and exits with `code`.
func fail(_ message: String, code: Int32 = 2) -> Never {
    FileHandle.standardError.write(("rtformer: " + message + "\n").data(using: .utf8)!)
    exit(code)
}

/// Formats integers with thousands separators (84,258).
func grouped(_ n: Int) -> String {
    let s = String(abs(n))
    var out = ""
    for (i, ch) in s.enumerated() {
        if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return (n < 0 ? "-" : "") + out
}

/// Pads `s` to `width` columns (left-aligned, or right-aligned when `right`).
func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
    let n = s.count
    guard n < width else { return s }
    let fill = String(repeating: " ", count: width - n)
    return right ? fill + s : s + fill
}

/// Encodes JSON-compatible values with sorted keys.
func jsonString(_ value: Any) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
}
