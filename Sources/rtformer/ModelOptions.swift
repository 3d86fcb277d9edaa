import ArgumentParser
import Foundation
import RTFormer

/// Options shared by the subcommands that run a model (DESIGN §6).
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Named config (\(ModelConfig.namedOrder.joined(separator: ", "))) or a config JSON file.")
    var model: String = "tiny"

    @Option(name: .long, help: "Weights: safetensors with state_dict keys (unfused or deploy). Default: seeded init.")
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

    /// Reads `--weights` (nil when absent).
    func stateDict() throws -> StateDict? {
        guard let weights else { return nil }
        let (dict, prefix) = unwrapStateDict(try Safetensors.read(path: weights).tensors)
        if let prefix {
            FileHandle.standardError.write("rtformer: \(weights): using the tensors under '\(prefix)' as the state_dict\n".data(using: .utf8)!)
        }
        return dict
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
    @Option(name: .long, help: "Input: safetensors with `input` [B, C, H, W] (already normalised).")
    var input: String

    @Option(name: .long, help: "Record of a dataset file or sample of a batch (default: all samples of a tensor file).")
    var index: Int?

    /// The input encoded as `[T, B, C, H, W]` for `config`.
    func encoded(for config: ModelConfig) throws -> Tensor {
        try InputLoading.encode(path: input, index: index, config: config)
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
