import Foundation

/// The three model families one engine runs (SPEC decision 1).
public enum ModelFamily: String, Sendable, Codable, CaseIterable {
    /// SDT skeleton + TSBN + STCore + SDSA (SPEC §6).
    case rtformer
    /// Spikformer CIFAR, exactly as its public code computes (SPEC §7.1).
    case spikformer
    /// Spike-Driven Transformer v1 (SPEC §7.2, R17).
    case sdt
}

/// Where TSBN_mem neurons sit in the `rtformer` family (SPEC §3.3, R3).
public enum MembraneTSBN: String, Sendable, Codable, CaseIterable {
    case none, stcore, all
}

/// Errors in a model configuration, each naming the key.
public enum ModelConfigError: Error, Equatable, CustomStringConvertible {
    case unknownName(String, known: [String])
    case unreadable(file: String, reason: String)
    case notJSONObject(file: String)
    case invalidJSON(file: String, reason: String)
    case unknownKey(file: String, key: String)
    case missingKey(file: String, key: String)
    case badValue(file: String, key: String, expected: String)

    /// The one-line message; file names, keys and parser messages (which may quote the file's
    /// bytes) are escaped (`Printable.escape`).
    public var description: String { Printable.escape(rawDescription, limit: 600) }

    private var rawDescription: String {
        switch self {
        case let .unknownName(n, known):
            return "unknown model '\(n)': expected a config JSON file or one of \(known.joined(separator: ", "))"
        case let .unreadable(file, reason): return "\(file): cannot read config: \(reason)"
        case let .notJSONObject(file): return "\(file): a model config must be a JSON object"
        case let .invalidJSON(file, reason): return "\(file): invalid JSON: \(reason)"
        case let .unknownKey(file, key): return "\(file): unknown key '\(Printable.escape(key, limit: 60))'"
        case let .missingKey(file, key): return "\(file): missing key '\(key)'"
        case let .badValue(file, key, expected): return "\(file): key '\(key)': expected \(expected)"
        }
    }
}

/// A model configuration. JSON files use the Python names of the public code
/// (`embed_dims`, `num_heads`, …); see `ModelConfig.load(_:)`.
public struct ModelConfig: Sendable, Equatable {
    /// Name shown to the user (the named config, or the JSON file's name).
    public var name: String
    public var family: ModelFamily
    /// Embedding dimension D.
    public var embedDims: Int
    public var numHeads: Int
    public var mlpRatio: Int
    /// Number of transformer blocks.
    public var depths: Int
    /// Timesteps T.
    public var timesteps: Int
    public var imgSize: Int
    public var inChannels: Int
    public var numClasses: Int
    /// TSBN window length L (`rtformer` only).
    public var tsbnWindow: Int = 2
    public var membraneTSBN: MembraneTSBN = .stcore
    /// Max-pool after stem stage i when character i is "1" (SDT `pooling_stat`; `rtformer`, `sdt`).
    public var poolingStat: String = "0011"
    public var tsbnEps: Float = 1e-5

    public init(name: String, family: ModelFamily, embedDims: Int, numHeads: Int, mlpRatio: Int, depths: Int,
                timesteps: Int, imgSize: Int = 32, inChannels: Int = 3, numClasses: Int = 10,
                tsbnWindow: Int = 2, membraneTSBN: MembraneTSBN = .stcore, poolingStat: String = "0011", tsbnEps: Float = 1e-5) {
        self.name = name
        self.family = family
        self.embedDims = embedDims
        self.numHeads = numHeads
        self.mlpRatio = mlpRatio
        self.depths = depths
        self.timesteps = timesteps
        self.imgSize = imgSize
        self.inChannels = inChannels
        self.numClasses = numClasses
        self.tsbnWindow = tsbnWindow
        self.membraneTSBN = membraneTSBN
        self.poolingStat = poolingStat
        self.tsbnEps = tsbnEps
    }

    /// The named configs (SPEC decision 1, §6.1, §7; `*-dvs` for event inputs, issue 7).
    public static let named: [String: ModelConfig] = [
        "tiny": ModelConfig(name: "tiny", family: .rtformer, embedDims: 64, numHeads: 4, mlpRatio: 4, depths: 1, timesteps: 4),
        "S-T-4-384": ModelConfig(name: "S-T-4-384", family: .rtformer, embedDims: 384, numHeads: 8, mlpRatio: 4, depths: 4, timesteps: 4),
        "S-T-8-768": ModelConfig(name: "S-T-8-768", family: .rtformer, embedDims: 768, numHeads: 8, mlpRatio: 4, depths: 8, timesteps: 4,
                                 imgSize: 224, numClasses: 1000, poolingStat: "1111"),
        "spikformer-tiny": ModelConfig(name: "spikformer-tiny", family: .spikformer, embedDims: 64, numHeads: 4, mlpRatio: 4, depths: 1, timesteps: 4),
        "spikformer-4-384": ModelConfig(name: "spikformer-4-384", family: .spikformer, embedDims: 384, numHeads: 12, mlpRatio: 4, depths: 4, timesteps: 4),
        "sdt-tiny": ModelConfig(name: "sdt-tiny", family: .sdt, embedDims: 64, numHeads: 4, mlpRatio: 4, depths: 1, timesteps: 4),
        "sdt-4-384": ModelConfig(name: "sdt-4-384", family: .sdt, embedDims: 384, numHeads: 8, mlpRatio: 4, depths: 4, timesteps: 4),
        "tiny-dvs": ModelConfig(name: "tiny-dvs", family: .rtformer, embedDims: 64, numHeads: 4, mlpRatio: 4, depths: 1, timesteps: 16,
                                imgSize: 64, inChannels: 2, numClasses: 11),
        "S-T-4-384-dvs": ModelConfig(name: "S-T-4-384-dvs", family: .rtformer, embedDims: 384, numHeads: 8, mlpRatio: 4, depths: 4, timesteps: 16,
                                     imgSize: 128, inChannels: 2, numClasses: 11, poolingStat: "1111"),
    ]

    /// Named config names in a stable order for help texts.
    public static let namedOrder = ["tiny", "S-T-4-384", "S-T-8-768", "spikformer-tiny", "spikformer-4-384", "sdt-tiny", "sdt-4-384", "tiny-dvs", "S-T-4-384-dvs"]

    /// A named config, or a JSON file when `nameOrPath` ends in `.json` or names an existing file.
    /// - Throws: `ModelConfigError` naming the unknown name, the file, or the offending key.
    public static func load(_ nameOrPath: String) throws -> ModelConfig {
        if let c = named[nameOrPath] { return c }
        if nameOrPath.hasSuffix(".json") || FileManager.default.fileExists(atPath: nameOrPath) {
            let data: Data
            do { data = try InputBytes.readData(nameOrPath, format: "model config") } catch let e as InputError {
                throw ModelConfigError.unreadable(file: nameOrPath, reason: e.found)
            }
            return try parse(json: data, file: nameOrPath)
        }
        throw ModelConfigError.unknownName(nameOrPath, known: namedOrder)
    }

    static let jsonKeys: Set<String> = ["name", "family", "embed_dims", "num_heads", "mlp_ratios", "depths", "T", "img_size",
                                        "in_channels", "num_classes", "tsbn_window", "membrane_tsbn", "pooling_stat", "tsbn_eps",
                                        "patch_size"]

    /// Parses a config JSON object with the public code's key names. `family`, `embed_dims`,
    /// `num_heads`, `depths` and `T` are required; the rest default as in the CIFAR configs.
    public static func parse(json data: Data, file: String) throws -> ModelConfig {
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw ModelConfigError.invalidJSON(file: file, reason: (error as NSError).userInfo["NSDebugDescription"] as? String ?? "not valid JSON")
        }
        guard let obj = parsed as? [String: Any] else { throw ModelConfigError.notJSONObject(file: file) }
        for key in obj.keys.sorted() where !jsonKeys.contains(key) {
            throw ModelConfigError.unknownKey(file: file, key: key)
        }
        func int(_ key: String, min: Int = 1, default d: Int? = nil) throws -> Int {
            guard let v = obj[key] else {
                if let d { return d }
                throw ModelConfigError.missingKey(file: file, key: key)
            }
            // The documented range (ModelLimits.ranges) is checked on the double first, so a huge
            // or fractional number never reaches an Int conversion.
            let upper = ModelLimits.range(key)?.upperBound ?? Int(Int32.max)
            let min = Swift.max(min, ModelLimits.range(key)?.lowerBound ?? min)
            guard let n = v as? NSNumber, !isJSONBool(v), n.doubleValue.rounded() == n.doubleValue,
                  n.doubleValue >= Double(min), n.doubleValue <= Double(upper) else {
                throw ModelConfigError.badValue(file: file, key: key, expected: "an integer in \(min)...\(upper)")
            }
            return n.intValue
        }
        guard let famName = obj["family"] else { throw ModelConfigError.missingKey(file: file, key: "family") }
        guard let fs = famName as? String, let family = ModelFamily(rawValue: fs) else {
            throw ModelConfigError.badValue(file: file, key: "family", expected: "one of rtformer, spikformer, sdt")
        }
        var mem = MembraneTSBN.stcore
        if let m = obj["membrane_tsbn"] {
            guard let ms = m as? String, let v = MembraneTSBN(rawValue: ms) else {
                throw ModelConfigError.badValue(file: file, key: "membrane_tsbn", expected: "one of none, stcore, all")
            }
            mem = v
        }
        var eps: Float = 1e-5
        if let e = obj["tsbn_eps"] {
            guard let n = e as? NSNumber, !isJSONBool(e), n.doubleValue > 0 else {
                throw ModelConfigError.badValue(file: file, key: "tsbn_eps", expected: "a positive number")
            }
            eps = n.floatValue
        }
        let embed = try int("embed_dims")
        let heads = try int("num_heads")
        guard embed % heads == 0 else {
            throw ModelConfigError.badValue(file: file, key: "num_heads", expected: "a divisor of embed_dims \(embed)")
        }
        guard embed % 8 == 0 else {
            throw ModelConfigError.badValue(file: file, key: "embed_dims", expected: "a multiple of 8 (stem widths D/8, D/4, D/2)")
        }
        let img = try int("img_size", default: 32)
        let defaultPooling = family == .spikformer ? "0011" : "0011"
        var pooling = defaultPooling
        if let p = obj["pooling_stat"] {
            guard let ps = p as? String, ps.count == 4, ps.allSatisfy({ $0 == "0" || $0 == "1" }) else {
                throw ModelConfigError.badValue(file: file, key: "pooling_stat", expected: "4 characters of 0/1, e.g. \"0011\"")
            }
            pooling = ps
        }
        if let ps = obj["patch_size"] {
            guard let n = ps as? NSNumber, n.intValue == 4 || family != .spikformer else {
                throw ModelConfigError.badValue(file: file, key: "patch_size", expected: "4 (two max-pools of stride 2)")
            }
        }
        let pools = family == .spikformer ? 2 : pooling.filter { $0 == "1" }.count
        var side = img
        for _ in 0..<pools { side = (side - 1) / 2 + 1 }
        guard side >= 1 else { throw ModelConfigError.badValue(file: file, key: "img_size", expected: "a size that survives the stem's pooling") }
        let name = Printable.escape((obj["name"] as? String) ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent, limit: 60)
        return ModelConfig(name: name, family: family, embedDims: embed, numHeads: heads,
                           mlpRatio: try int("mlp_ratios", default: 4), depths: try int("depths"), timesteps: try int("T"),
                           imgSize: img, inChannels: try int("in_channels", default: 3),
                           numClasses: try int("num_classes", default: 10), tsbnWindow: try int("tsbn_window", default: 2),
                           membraneTSBN: mem, poolingStat: pooling, tsbnEps: eps)
    }

    /// This config with another T (TSBN parameters depend on T: a new T is a new model, SPEC §10.23).
    public func with(timesteps t: Int) -> ModelConfig {
        var c = self
        c.timesteps = t
        return c
    }

    /// Stem widths D/8, D/4, D/2, D.
    public var stemChannels: [Int] { [embedDims / 8, embedDims / 4, embedDims / 2, embedDims] }

    /// Whether stem stage i (0…3) max-pools.
    public func pools(stage i: Int) -> Bool {
        if family == .spikformer { return i >= 2 }
        let chars = Array(poolingStat)
        return i < chars.count && chars[i] == "1"
    }

    /// JSON object with the public code's key names (what `load` reads back).
    public var jsonObject: [String: Any] {
        var o: [String: Any] = ["name": name, "family": family.rawValue, "embed_dims": embedDims, "num_heads": numHeads,
                                "mlp_ratios": mlpRatio, "depths": depths, "T": timesteps, "img_size": imgSize,
                                "in_channels": inChannels, "num_classes": numClasses]
        if family != .spikformer { o["pooling_stat"] = poolingStat }
        if family == .rtformer {
            o["tsbn_window"] = tsbnWindow
            o["membrane_tsbn"] = membraneTSBN.rawValue
            o["tsbn_eps"] = Double(tsbnEps)
        }
        return o
    }
}

/// JSON `true`/`false` (Foundation bridges them to NSNumber, and `1 is Bool` is true on Linux).
func isJSONBool(_ v: Any) -> Bool {
    String(describing: type(of: v)).contains("Boolean") || type(of: v) == Bool.self
}
