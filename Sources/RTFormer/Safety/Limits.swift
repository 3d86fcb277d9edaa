import Foundation

/// Upper bounds on every size read from a file or typed by a user, checked before anything is
/// allocated (README "Limits"). A value past a limit is refused with a one-line error naming it;
/// no size product is computed without overflow checking.
public enum Limits {
    /// Largest event-sensor side in pixels (x, y are 16-bit in every supported event format).
    public static let maxSensorSide = 1 << 16
    /// Largest number of timesteps T (a model's `T`, `--timesteps`, `input … T N`).
    public static let maxTimesteps = 1024
    /// Largest side of a model input (`img_size`) and of an encoded frame.
    public static let maxImageSide = 4096
    /// Largest encoded input `[T, B, C, H, W]`, in elements (2^28 Float32 = 1 GiB).
    public static let maxInputElements = 1 << 28
    /// Largest image decoded from PNG/JPEG/PPM, in pixels (2^28).
    public static let maxImagePixels = 1 << 28

    /// The product of `factors`, nil when it overflows `Int` or a factor is negative.
    public static func product(_ factors: [Int]) -> Int? {
        var p = 1
        for f in factors {
            guard f >= 0 else { return nil }
            let (r, overflow) = p.multipliedReportingOverflow(by: f)
            if overflow { return nil }
            p = r
        }
        return p
    }

    /// Memory a model build may use, in bytes: 8 GiB, or `RTFORMER_MEMORY_LIMIT_GB` (a positive
    /// number) when set.
    public static var modelMemoryBudget: Int {
        if let s = ProcessInfo.processInfo.environment["RTFORMER_MEMORY_LIMIT_GB"], let gb = Double(s), gb > 0, gb < 1_048_576 {
            return Int(gb * Double(1 << 30))
        }
        return 8 << 30
    }

    /// `bytes` in words: "12.9 GB", "806 MB", "4 KB".
    public static func describe(bytes: Int) -> String {
        let b = Double(bytes)
        if b >= 1e9 { return String(format: "%.1f GB", b / 1e9) }
        if b >= 1e6 { return String(format: "%.0f MB", b / 1e6) }
        return String(format: "%.0f KB", max(1, b / 1e3))
    }
}

/// A model configuration beyond the documented ranges, or too large to build in memory.
public struct ModelLimitError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The config's name (or JSON file).
    public var model: String
    /// The key (`embed_dims`, `T`, …), or "model" for the memory estimate.
    public var key: String
    /// What was expected.
    public var expected: String
    /// What was found.
    public var found: String

    public var description: String { "model '\(Printable.escape(model))': \(key): expected \(expected), found \(found)" }
}

/// Documented ranges of model config integers (README, "Models") and the memory estimate checked
/// before a model is built.
public enum ModelLimits {
    /// Inclusive range of each integer config key, by its JSON name.
    public static let ranges: [(key: String, range: ClosedRange<Int>)] = [
        ("embed_dims", 8...4096), ("num_heads", 1...256), ("mlp_ratios", 1...16), ("depths", 1...64),
        ("T", 1...Limits.maxTimesteps), ("img_size", 1...Limits.maxImageSide), ("in_channels", 1...64),
        ("num_classes", 1...100_000), ("tsbn_window", 1...Limits.maxTimesteps),
    ]

    /// The range of `key` (nil for keys without one).
    public static func range(_ key: String) -> ClosedRange<Int>? { ranges.first { $0.key == key }?.range }

    /// Checks every integer of `config` against `ranges`, then the memory estimate against
    /// `Limits.modelMemoryBudget`.
    /// - Throws: `ModelLimitError` naming the key and its range, or the estimate and the budget.
    public static func check(_ config: ModelConfig) throws {
        let values: [(String, Int)] = [
            ("embed_dims", config.embedDims), ("num_heads", config.numHeads), ("mlp_ratios", config.mlpRatio),
            ("depths", config.depths), ("T", config.timesteps), ("img_size", config.imgSize),
            ("in_channels", config.inChannels), ("num_classes", config.numClasses), ("tsbn_window", config.tsbnWindow),
        ]
        for (key, v) in values {
            guard let r = range(key), !r.contains(v) else { continue }
            throw ModelLimitError(model: config.name, key: key, expected: "an integer in \(r.lowerBound)...\(r.upperBound)", found: "\(v)")
        }
        let budget = Limits.modelMemoryBudget
        let estimate = estimatedBytes(config)
        guard let estimate, estimate <= budget else {
            throw ModelLimitError(model: config.name, key: "model",
                                  expected: "an estimated memory use within \(Limits.describe(bytes: budget)) (RTFORMER_MEMORY_LIMIT_GB)",
                                  found: estimate.map { "about \(Limits.describe(bytes: $0)) for weights and recorded activations" }
                                      ?? "a size beyond 2^63 bytes")
        }
    }

    /// An upper-side estimate of the bytes a model of `config` takes for one sample: Float32
    /// weights three times (unfused, deploy twin, state dict) and per-timestep activations of
    /// every layer ten times (norm output, membrane, spikes and the session's recordings of both
    /// twins: `tiny` records 4 MiB per timestep, estimated at 4.9 MB), for all T.
    /// Nil when the arithmetic overflows. Stem stage i has `D/8·2^i` channels on a side halved
    /// after each pooling stage; blocks hold `(4 + 2·mlp)·D` values per token.
    public static func estimatedBytes(_ config: ModelConfig) -> Int? {
        let d = config.embedDims, t = config.timesteps
        var side = config.imgSize, cin = config.inChannels
        var params = 0, activations = 0
        for (i, c) in config.stemChannels.enumerated() {
            guard let p = Limits.product([9, cin, c]), let a = Limits.product([c, side, side]) else { return nil }
            (params, activations) = (params &+ p, activations &+ a)
            guard params >= 0, activations >= 0 else { return nil }
            if config.pools(stage: i) { side = (side - 1) / 2 + 1 }
            cin = c
        }
        let tokens = side * side
        guard let perBlockParams = Limits.product([4 + 2 * config.mlpRatio, d, d]),
              let blockParams = Limits.product([config.depths, perBlockParams]),
              let perBlockActs = Limits.product([4 + 2 * config.mlpRatio, d, tokens]),
              let blockActs = Limits.product([config.depths, perBlockActs]),
              let head = Limits.product([d, config.numClasses]),
              let normParams = Limits.product([t, d, 4 + 6 * config.depths]) else { return nil }
        let totalParams = [params, blockParams, head, normParams].reduce(0) { $0 &+ $1 }
        let totalActs = activations &+ blockActs
        guard totalParams >= 0, totalActs >= 0,
              let w = Limits.product([3, totalParams]), let a = Limits.product([10, t, totalActs]),
              let bytes = Limits.product([4, w &+ a]), w &+ a >= 0 else { return nil }
        return bytes
    }
}
