import Foundation

/// Why a model config cannot be built from a weights file.
public enum ConfigInferenceError: Error, Equatable, CustomStringConvertible {
    /// The key set matches no family.
    case unknownFamily(file: String)
    /// A field that neither the file's args/metadata nor the tensor shapes give.
    case needs(file: String, field: String, option: String, why: String)
    /// An explicit `--model` that disagrees with what the file says.
    case contradiction(file: String, model: String, field: String, modelValue: String, fileValue: String, source: String)

    public var description: String {
        switch self {
        case let .unknownFamily(file):
            return "\(file): cannot tell the model family from its keys (expected `stcore` keys for rtformer, `q_linear` for spikformer, `q_conv` for sdt): pass --model"
        case let .needs(file, field, option, why):
            return "\(file): \(field) is not in the file and \(why): pass \(option)"
        case let .contradiction(file, model, field, mv, fv, source):
            return "--model \(model) contradicts \(file): \(field) is \(mv) in the model but \(fv) in the file (\(source)); drop --model to use the file's config"
        }
    }
}

/// A model config read from a weights file, and where each field came from.
public struct InferredConfig: Sendable {
    public var config: ModelConfig
    /// Config JSON key (`embed_dims`, `T`, ...) → where its value came from: `args.dim`,
    /// `metadata config`, `shape of head.weight [10, 64]`, `default`, `--heads`.
    public var sources: [String: String]
    /// Remarks: values from args overruled by the tensor shapes, defaults taken.
    public var notes: [String]

    /// One line per field: `embed_dims 384 (args.dim)`, in the config's key order.
    public var report: [String] {
        let o = config.jsonObject
        return ConfigInference.fieldOrder.compactMap { k in
            guard let v = o[k], let s = sources[k] else { return nil }
            let text = v is Double ? String(format: "%g", v as! Double) : "\(v)"
            return "\(k) \(text) (\(s))"
        }
    }
}

/// Builds a `ModelConfig` from what a weights file carries (SPEC §6.4, §7 keys; the public
/// scripts' argument names):
/// 1. our own safetensors `__metadata__["config"]` (written by `convert`, `calibrate`, `export`),
///    or a fixture's config metadata;
/// 2. a training checkpoint's `args` (`argparse.Namespace`): Spikformer `dim`, `num_heads`,
///    `mlp_ratio`, `layer`, `time_step`, `patch_size`, `img_size`, `num_classes`; Spike-Driven
///    Transformer `dim`, `num_heads`, `mlp_ratio`, `layer`, `time_steps`, `pooling_stat`,
///    `in_channels`, `img_size`, `num_classes`; a generic `embed_dims`/`depths`/`T` too;
/// 3. the tensor shapes, which win where they speak: family from the key set, `embed_dims` and
///    `num_classes` from `head.weight` `[classes, D]`, `in_channels` from
///    `patch_embed.proj_conv.weight` `[D/8, C_in, 3, 3]`, `depths` from the `block.N.` indices,
///    `mlp_ratios` from `fc1` `[D·r, D(, 1, 1)]`, `T` from TSBN `[T, C]` parameters (rtformer),
///    `num_heads` from SDT's `talking_heads.weight` `[h, h, 1]`, `membrane_tsbn` from the
///    `<lif>.tsbn.*` keys.
/// Heads cannot come from Spikformer/RTFormer shapes; without args/metadata `heads` must be given.
public enum ConfigInference {
    static let fieldOrder = ["family", "embed_dims", "num_heads", "mlp_ratios", "depths", "T", "img_size", "in_channels",
                             "num_classes", "pooling_stat", "tsbn_window", "membrane_tsbn", "tsbn_eps"]

    /// Synonyms of each config key in the public scripts' args and metadata, in priority order.
    static let synonyms: [String: [String]] = [
        "family": ["family"],
        "embed_dims": ["embed_dims", "dim", "embed_dim"],
        "num_heads": ["num_heads", "heads"],
        "mlp_ratios": ["mlp_ratios", "mlp_ratio"],
        "depths": ["depths", "layer", "layers", "depth"],
        "T": ["T", "time_step", "time_steps", "timesteps", "timestep"],
        "img_size": ["img_size", "image_size", "input_size"],
        "in_channels": ["in_channels", "in_chans"],
        "num_classes": ["num_classes"],
        "pooling_stat": ["pooling_stat"],
        "tsbn_window": ["tsbn_window"],
        "membrane_tsbn": ["membrane_tsbn"],
        "tsbn_eps": ["tsbn_eps"],
    ]

    /// The config a checkpoint describes.
    /// - Parameters:
    ///   - checkpoint: the loaded weights (keys already stripped and renamed).
    ///   - heads: `--heads`, used when the file does not say.
    ///   - file: the file's name, for messages and the config name.
    /// - Throws: `ConfigInferenceError` (unknown family, heads needed), or `ModelConfigError`
    ///   when the gathered values do not make a valid config.
    ///   - headsOption: how the user gives heads, for the error (`--heads N`, `` `heads N` ``).
    public static func infer(_ checkpoint: Checkpoint, heads: Int? = nil, file: String, headsOption: String = "--heads N") throws -> InferredConfig {
        var values: [String: Any] = [:], sources: [String: String] = [:], notes: [String] = []
        // 1./2. What the file says.
        for (label, dict) in declared(checkpoint) {
            for key in fieldOrder where values[key] == nil {
                for name in synonyms[key]! {
                    guard let v = dict[name], let value = normalise(v, key: key) else { continue }
                    values[key] = value
                    sources[key] = "\(label).\(name)"
                    break
                }
            }
        }
        // The public scripts' `model`/`arch` name a family when the keys do not.
        var archFamily: ModelFamily?
        for (_, dict) in declared(checkpoint) {
            for name in ["model", "arch"] { if let s = dict[name] as? String, archFamily == nil { archFamily = family(named: s) } }
        }
        if let s = checkpoint.root?["arch"].flatMap({ if case let .string(a) = $0 { return a } else { return nil } }), archFamily == nil {
            archFamily = family(named: s)
        }
        // 3. The tensor shapes.
        let shaped = fromShapes(checkpoint.tensors)
        for (key, (value, why)) in shaped {
            if let declared = values[key], "\(declared)" != "\(value)" {
                notes.append("\(sources[key]!) = \(declared) but the tensors say \(value) (\(why)): using \(value)")
            }
            if values[key] == nil || "\(values[key]!)" != "\(value)" || key == "family" {
                values[key] = value
                sources[key] = why
            }
        }
        if values["family"] == nil, let archFamily {
            values["family"] = archFamily.rawValue
            sources["family"] = "args/arch name"
        }
        guard let famName = values["family"] as? String, let family = ModelFamily(rawValue: famName) else {
            throw ConfigInferenceError.unknownFamily(file: file)
        }
        if values["num_heads"] == nil {
            guard let heads else {
                throw ConfigInferenceError.needs(file: file, field: "num_heads", option: headsOption,
                                                 why: "attention heads do not show in the tensor shapes")
            }
            values["num_heads"] = heads
            sources["num_heads"] = headsOption.hasPrefix("--") ? "--heads" : "heads"
        }
        if values["T"] == nil {
            values["T"] = 4
            sources["T"] = "default"
            notes.append("T is not in the file (\(family.rawValue) weights do not depend on it): using T = 4")
        }
        for key in fieldOrder where values[key] == nil { sources[key] = "default" }
        var json: [String: Any] = values.filter { fieldOrder.contains($0.key) }
        if family == .spikformer { json["pooling_stat"] = nil; sources["pooling_stat"] = nil }
        if family != .rtformer {
            for k in ["tsbn_window", "membrane_tsbn", "tsbn_eps"] { json[k] = nil; sources[k] = nil }
        }
        json["name"] = declared(checkpoint).first { $0.0 == "metadata config" }?.1["name"] as? String
            ?? checkpoint.metadata["model"].flatMap { ModelConfig.named[$0] != nil ? $0 : nil }
            ?? URL(fileURLWithPath: file).lastPathComponent
        let data = try JSONSerialization.data(withJSONObject: json)
        let config = try ModelConfig.parse(json: data, file: file)
        return InferredConfig(config: config, sources: sources, notes: notes)
    }

    /// Fields that decide what the weights mean: a model that differs from the file in one of
    /// them would run other numbers (or fail to load). T only for rtformer (per-timestep TSBN).
    static func structural(_ key: String, family: ModelFamily) -> Bool {
        ["family", "embed_dims", "num_heads", "mlp_ratios", "depths", "in_channels", "num_classes", "membrane_tsbn"].contains(key)
            || (key == "T" && family == .rtformer)
    }

    /// Compares `explicit` (a `--model`, or the session's current model) with what the file
    /// states (not defaults, not a bare metadata model name).
    /// - Returns: notes for fields the user may choose freely (`tsbn_window`, `img_size`,
    ///   `pooling_stat`, `tsbn_eps`, T of spikformer/sdt): the model's value is kept.
    /// - Throws: `ConfigInferenceError.contradiction` naming the first differing structural field.
    @discardableResult
    public static func check(_ explicit: ModelConfig, against inferred: InferredConfig, file: String) throws -> [String] {
        let a = explicit.jsonObject, b = inferred.config.jsonObject
        var notes: [String] = []
        for key in fieldOrder {
            guard let source = inferred.sources[key], source != "default", source != "--heads", source != "heads", !source.hasPrefix("metadata model"),
                  let mv = a[key], let fv = b[key], "\(mv)" != "\(fv)" else { continue }
            if structural(key, family: explicit.family) {
                throw ConfigInferenceError.contradiction(file: file, model: explicit.name, field: key, modelValue: "\(mv)",
                                                         fileValue: "\(fv)", source: source)
            }
            notes.append("model \(explicit.name) has \(key) \(mv), the file says \(fv) (\(source)): keeping \(mv)")
        }
        return notes
    }

    /// True when the file states a config (metadata or args), not only tensors.
    public static func declaresConfig(_ checkpoint: Checkpoint) -> Bool {
        declared(checkpoint).contains { dict in
            !dict.0.hasPrefix("metadata model") && ["embed_dims", "dim", "embed_dim"].contains { dict.1[$0] != nil }
        }
    }

    /// The file's own statements, best first: `metadata config` (JSON), then `args`.
    static func declared(_ c: Checkpoint) -> [(String, [String: Any])] {
        var out: [(String, [String: Any])] = []
        if let text = c.metadata["config"], let o = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] {
            out.append(("metadata config", o))
        }
        // Files `Network.save` wrote before configs were stored name their named config.
        if let name = c.metadata["model"], let named = ModelConfig.named[name], out.isEmpty {
            out.append(("metadata model '\(name)'", named.jsonObject))
        }
        if let fam = c.metadata["family"], ModelFamily(rawValue: fam) != nil, out.first?.1["family"] == nil {
            out.append(("metadata", ["family": fam]))
        }
        for key in ["args", "config", "hparams", "hyper_parameters"] {
            if let a = c.root?[key], let o = a.jsonValue as? [String: Any] { out.append((key, o)) }
        }
        return out
    }

    /// A family from a model/arch name (`spikformer`, `sdt`, `Spikformer_cifar`, `rtformer_tiny`).
    static func family(named s: String) -> ModelFamily? {
        let l = s.lowercased()
        if l.contains("rtformer") { return .rtformer }
        if l.contains("spikformer") { return .spikformer }
        if l.contains("sdt") || l.contains("spike_driven") || l.contains("spikedriven") { return .sdt }
        return nil
    }

    /// A value normalised for the config JSON: integers (from int, float or a one-element list,
    /// the last element of `input_size`), strings for family/pooling/membrane, eps as a number.
    static func normalise(_ v: Any, key: String) -> Any? {
        switch key {
        case "family":
            guard let s = v as? String else { return nil }
            return ModelFamily(rawValue: s)?.rawValue ?? family(named: s)?.rawValue
        case "pooling_stat", "membrane_tsbn":
            return v as? String
        case "tsbn_eps":
            return (v as? NSNumber).map(\.doubleValue)
        default:
            var x = v
            if let list = x as? [Any], let last = list.last { x = key == "img_size" ? last : (list.count == 1 ? last : x) }
            // Range-checked on the double first: a huge number never reaches an Int conversion
            // (ModelConfig.parse then applies the config's own limits).
            guard let n = x as? NSNumber, !isJSONBool(x), n.doubleValue == n.doubleValue.rounded(),
                  n.doubleValue >= 1, n.doubleValue <= Double(Int32.max) else { return nil }
            return n.intValue
        }
    }

    /// What the tensor shapes say, with the evidence for each value.
    static func fromShapes(_ t: StateDict) -> [String: (Any, String)] {
        var out: [String: (Any, String)] = [:]
        let keys = t.keys.sorted()
        if keys.contains(where: { $0.contains("stcore.") }) {
            out["family"] = (ModelFamily.rtformer.rawValue, "key set: stcore keys")
        } else if keys.contains(where: { $0.contains(".q_linear.") }) {
            out["family"] = (ModelFamily.spikformer.rawValue, "key set: q_linear keys")
        } else if keys.contains(where: { $0.contains(".q_conv.") }) {
            out["family"] = (ModelFamily.sdt.rawValue, "key set: q_conv without stcore keys")
        }
        func shape(_ k: String) -> [Int]? { t[k]?.shape }
        if let h = shape("head.weight"), h.count == 2 {
            out["num_classes"] = (h[0], "shape of head.weight \(h)")
            out["embed_dims"] = (h[1], "shape of head.weight \(h)")
        }
        if let p = shape("patch_embed.proj_conv.weight"), p.count == 4 {
            out["in_channels"] = (p[1], "shape of patch_embed.proj_conv.weight \(p)")
        }
        let blocks = Set(keys.compactMap { k -> Int? in
            guard k.hasPrefix("block.") else { return nil }
            return Int(k.dropFirst(6).prefix { $0 != "." })
        })
        if let m = blocks.max(), blocks.count == m + 1 { out["depths"] = (m + 1, m == 0 ? "block.0 keys" : "block.0 … block.\(m) keys") }
        for fc1 in ["block.0.mlp.fc1_linear.weight", "block.0.mlp.fc1_conv.weight"] {
            if let s = shape(fc1), s.count >= 2, s[1] > 0, s[0] % s[1] == 0 {
                out["mlp_ratios"] = (s[0] / s[1], "shape of \(fc1) \(s)")
            }
        }
        if let th = shape("block.0.attn.talking_heads.weight"), th.count == 3 {
            out["num_heads"] = (th[0], "shape of block.0.attn.talking_heads.weight \(th)")
        }
        if out["family"].map({ ($0.0 as? String) == "rtformer" }) == true {
            if let k = keys.first(where: { ($0.contains("tsbn") || $0.hasSuffix(".scale") || $0.hasSuffix(".theta")) && t[$0]!.rank == 2 }) {
                out["T"] = (t[k]!.shape[0], "shape of \(k) \(t[k]!.shape) (per-timestep)")
            }
            let membrane = keys.filter { $0.hasSuffix("lif.tsbn.weight") || $0.hasSuffix("lif.theta") }
            let mode = membrane.isEmpty ? "none" : membrane.allSatisfy { $0.contains("stcore") } ? "stcore" : "all"
            out["membrane_tsbn"] = (mode, membrane.isEmpty ? "no <lif>.tsbn keys" : "<lif>.tsbn keys: \(membrane.count)")
        }
        return out
    }
}

extension ModelConfig {
    /// `jsonObject` as compact JSON text with sorted keys (safetensors `__metadata__["config"]`).
    public var jsonText: String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: jsonObject, options: [.sortedKeys])) ?? Data("{}".utf8), as: UTF8.self)
    }
}
