import Foundation
import RTFormer

/// Checkpoints shaped as the public training scripts write them. Test support only.
public enum TrainingCheckpoints {
    /// A state dict (`OrderedDict` with `_metadata`); `num_batches_tracked` stored as int64 like
    /// torch, other tensors as `dtype`; every key prefixed with `prefix` (`module.`, `_orig_mod.`).
    public static func stateDict(_ weights: [(String, Tensor)], dtype: String = "float32", prefix: String = "") -> PyValue {
        .stateDict(weights.map { k, t in
            (prefix + k, .tensor(t, dtype: k.hasSuffix("num_batches_tracked") ? "int64" : dtype))
        })
    }

    /// Spikformer `cifar10/train.py`'s `args` (an `argparse.Namespace` parsed from `cifar10.yml`
    /// and the command line), with the model fields of `config`, plus the kinds of values real
    /// args hold (lists, None, bools, a `pathlib.PosixPath`, a `torch.device`).
    public static func spikformerArgs(_ c: ModelConfig) -> PyValue {
        .namespace([
            ("epochs", .int(300)), ("time_step", .int(c.timesteps)), ("layer", .int(c.depths)), ("dim", .int(c.embedDims)),
            ("num_heads", .int(c.numHeads)), ("patch_size", .int(4)), ("mlp_ratio", .int(c.mlpRatio)),
            ("data_dir", .str("/home/user/cifar-10-python/")), ("dataset", .str("torch/cifar10")), ("model", .str("spikformer")),
            ("num_classes", .int(c.numClasses)), ("img_size", .int(c.imgSize)),
            ("mean", .tuple([.float(0.4914), .float(0.4822), .float(0.4465)])), ("std", .list([.float(0.247), .float(0.2435), .float(0.2616)])),
            ("amp", .bool(true)), ("initial_checkpoint", .str("")), ("resume", .none), ("lr", .float(5e-4)),
            ("output", .call(module: "pathlib", name: "PosixPath", args: [.str("/"), .str("home"), .str("user"), .str("output")])),
            ("device", .call(module: "torch", name: "device", args: [.str("cuda"), .int(0)])),
            ("input_size", .call(module: "torch", name: "Size", args: [.tuple([.int(3), .int(32), .int(32)])])),
        ])
    }

    /// Spike-Driven Transformer `train.py`'s `args` (its own names: `time_steps`, `layer`, `dim`,
    /// `pooling_stat`, `in_channels`, `model 'sdt'`).
    public static func sdtArgs(_ c: ModelConfig) -> PyValue {
        .namespace([
            ("model", .str("sdt")), ("pooling_stat", .str(c.poolingStat)), ("TET", .bool(false)), ("spike_mode", .str("lif")),
            ("layer", .int(c.depths)), ("in_channels", .int(c.inChannels)), ("num_classes", .int(c.numClasses)),
            ("time_steps", .int(c.timesteps)), ("num_heads", .int(c.numHeads)), ("patch_size", .none), ("mlp_ratio", .int(c.mlpRatio)),
            ("img_size", .int(c.imgSize)), ("input_size", .none), ("dim", .int(c.embedDims)), ("opt", .str("adamw")),
        ])
    }

    /// timm's `CheckpointSaver` checkpoint (`epoch`, `arch`, `state_dict`, `optimizer`,
    /// `version`, `args`, `metric`, `state_dict_ema`, `amp_scaler`); the metric as a numpy
    /// float64, as `eval_metrics[...]` often is; AdamW state for the first weights.
    public static func timm(weights: [(String, Tensor)], ema: PyValue? = nil, args: PyValue, metric: Double = 93.41,
                            arch: String = "spikformer") -> PyValue {
        let first = weights.prefix(3)
        let optimizer: PyValue = .dict([
            (.str("state"), .dict(first.enumerated().map { i, w in
                (.int(i), .dict([(.str("step"), .tensor(Tensor(scalar: 300), dtype: "float32")),
                                 (.str("exp_avg"), .tensor(w.1, dtype: "float32")),
                                 (.str("exp_avg_sq"), .tensor(w.1, dtype: "float32"))]))
            })),
            (.str("param_groups"), .list([.dict([
                (.str("lr"), .float(1e-5)), (.str("betas"), .tuple([.float(0.9), .float(0.999)])), (.str("eps"), .float(1e-8)),
                (.str("weight_decay"), .float(0.06)), (.str("amsgrad"), .bool(false)), (.str("initial_lr"), .float(5e-4)),
                (.str("params"), .list(first.indices.map { .int($0) })),
            ])])),
        ])
        var entries: [(PyValue, PyValue)] = [
            (.str("epoch"), .int(299)), (.str("arch"), .str(arch)), (.str("state_dict"), stateDict(weights)),
            (.str("optimizer"), optimizer), (.str("version"), .int(2)), (.str("args"), args), (.str("metric"), .numpyFloat64(metric)),
        ]
        if let ema { entries.append((.str("state_dict_ema"), ema)) }
        entries.append((.str("amp_scaler"), .dict([(.str("scale"), .float(65536)), (.str("growth_factor"), .float(2)),
                                                   (.str("backoff_factor"), .float(0.5)), (.str("growth_interval"), .int(2000)),
                                                   (.str("_growth_tracker"), .int(17))])))
        return .dict(entries)
    }
}
