import Foundation

/// What a weights file holds, without building a model (`rtformer info --weights FILE`):
/// container, top-level entries (placeholders summarised as `argparse.Namespace(...)`), the chosen
/// state_dict, its dtype histogram and element counts, the config inferred from it, and the
/// training metadata (`epoch`, `metric`, `arch`, ...) when present.
public struct CheckpointDescription {
    public var file: String
    public var checkpoint: Checkpoint
    /// The inferred config, or why none could be inferred.
    public var inferred: Result<InferredConfig, Error>

    /// Training metadata entries shown when present (timm's saver and common scripts).
    static let trainingKeys = ["epoch", "arch", "metric", "best_metric", "best_acc1", "best_acc", "acc", "version", "step", "global_step"]

    /// Describes `checkpoint` (loaded from `file`); `heads` as `--heads` for the inference.
    public init(file: String, checkpoint: Checkpoint, heads: Int? = nil) {
        self.file = file
        self.checkpoint = checkpoint
        self.inferred = Result { try ConfigInference.infer(checkpoint, heads: heads, file: file) }
    }

    /// The state_dict's elements: all, and those of buffers (`running_mean`, `running_var`,
    /// `num_batches_tracked`), which are not trainable parameters.
    public var counts: (tensors: Int, elements: Int, buffers: Int) {
        var elements = 0, buffers = 0
        for (k, t) in checkpoint.tensors {
            elements += t.count
            if k.hasSuffix(".running_mean") || k.hasSuffix(".running_var") || k.hasSuffix(".num_batches_tracked") { buffers += t.count }
        }
        return (checkpoint.tensors.count, elements, buffers)
    }

    /// Stored dtypes and how many tensors have each.
    public var dtypeHistogram: [String: Int] {
        Dictionary(grouping: checkpoint.keys.map { checkpoint.dtypes[$0] ?? "float32" }, by: { $0 }).mapValues(\.count)
    }

    /// The top-level entries of a PyTorch checkpoint, each with a one-line summary.
    public var entries: [(String, String)] {
        guard case let .dict(items)? = checkpoint.root else {
            return checkpoint.root.map { [("(root)", $0.summary(depth: 1))] } ?? []
        }
        return items.map { e in
            let k: String
            if case let .string(s) = e.key { k = s } else { k = e.key.summary(depth: 0) }
            return (k, e.value.summary(depth: 1))
        }
    }

    /// Training metadata present at the top level (`epoch`, `metric`, `arch`, ...).
    public var training: [(String, String)] {
        Self.trainingKeys.compactMap { k in
            guard let v = checkpoint.root?[k] else { return nil }
            if let n = v.numericValue, case .placeholder = v { return (k, TorchObject.number(n)) }
            return (k, v.summary(depth: 1))
        }
    }

    /// The description as text lines.
    public var lines: [String] {
        var out = ["\(file): \(checkpoint.container)"]
        if checkpoint.container == "safetensors" {
            if !checkpoint.metadata.isEmpty { out.append("metadata: " + checkpoint.metadata.keys.sorted().joined(separator: ", ")) }
        } else {
            out.append("top-level entries:")
            for (k, s) in entries { out.append("  \(k): \(s)") }
        }
        let c = counts
        out.append("state_dict: \(checkpoint.source), \(c.tensors) tensors, \(c.elements) elements (\(c.elements - c.buffers) parameters, \(c.buffers) in BN/TSBN buffers)")
        out.append("dtypes: " + dtypeHistogram.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        for n in checkpoint.notes { out.append("note: \(n)") }
        let t = training
        if !t.isEmpty { out.append("training: " + t.map { "\($0.0) \($0.1)" }.joined(separator: ", ")) }
        switch inferred {
        case let .success(i):
            out.append("model: \(i.config.family.rawValue) (flavour \(checkpointFlavour(checkpoint.tensors)?.rawValue ?? "unknown"))")
            out.append("config: " + i.report.joined(separator: ", "))
            for n in i.notes { out.append("note: \(n)") }
        case let .failure(e):
            out.append("config: not inferred: \(e)")
        }
        return out
    }

    /// The description as a JSON object: `file`, `container`, `entries`, `state_dict`
    /// (`source`, `tensors`, `elements`, `parameters`, `buffers`, `dtypes`), `notes`,
    /// `training`, `config` (the config JSON) and `config_sources`, or `config_error`.
    public var json: [String: Any] {
        let c = counts
        var o: [String: Any] = [
            "file": file, "container": checkpoint.container,
            "entries": entries.map { ["key": $0.0, "summary": $0.1] },
            "state_dict": ["source": checkpoint.source, "tensors": c.tensors, "elements": c.elements,
                           "parameters": c.elements - c.buffers, "buffers": c.buffers, "dtypes": dtypeHistogram] as [String: Any],
            "notes": checkpoint.notes, "metadata": checkpoint.metadata,
            "flavour": checkpointFlavour(checkpoint.tensors)?.rawValue ?? NSNull(),
        ]
        var training: [String: Any] = [:]
        for k in Self.trainingKeys { if let v = checkpoint.root?[k] { training[k] = v.jsonValue } }
        o["training"] = training
        switch inferred {
        case let .success(i):
            o["config"] = i.config.jsonObject
            o["config_sources"] = i.sources
            o["config_notes"] = i.notes
        case let .failure(e):
            o["config_error"] = "\(e)"
        }
        return o
    }
}
