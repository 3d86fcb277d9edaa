import Foundation

/// Model weights as a flat `state_dict`, read from safetensors or a PyTorch checkpoint.
public struct Checkpoint: Sendable {
    /// Parameter and buffer tensors by PyTorch name (`block.0.attn.q_conv.weight`, ...), Float32;
    /// integer buffers such as `num_batches_tracked` are converted to Float.
    public var tensors: [String: Tensor]
    /// Keys in file order.
    public var keys: [String]
    /// Where the tensors were found, for the user: "safetensors", "safetensors (prefix 'weights.')",
    /// "state_dict at top level", "checkpoint['state_dict']", "checkpoint['model']".
    public var source: String
}

/// Loads weights for the model.
public enum CheckpointFile {
    /// Reads a state dict from a `.safetensors` file or a PyTorch `.pth`/`.pt` file (zip or legacy).
    ///
    /// - A PyTorch file holding a dict of tensors is taken as the state dict itself.
    /// - A training checkpoint (a dict holding `state_dict`, `model`, `state_dict_ema` or
    ///   `model_ema` whose value is a dict of tensors) gives that entry, tried in this order; the
    ///   choice is reported in `source`. Other checkpoint entries (epoch, optimizer, ...) are ignored.
    /// - A safetensors file whose keys all share a `weights.` prefix (our fixtures) has it stripped.
    /// - A `module.` prefix on every key (DataParallel) is stripped and reported.
    /// - Throws: the reader's `InputError`; or `InputError` (format "checkpoint") when no dict of
    ///   tensors is found, naming the top-level keys that were there.
    public static func loadStateDict(path: String) throws -> Checkpoint {
        let bytes = try InputBytes.read(path, format: "checkpoint")
        var result: Checkpoint
        if TorchFile.isZip(bytes) || TorchFile.isLegacy(bytes) {
            result = try fromTorch(TorchFile.parse(bytes, file: path), file: path)
        } else {
            try FormatRecognition.requireWeights(bytes, file: path)
            let f = try Safetensors.parse(Data(bytes), file: path)
            let weightKeys = f.keys.filter { $0.hasPrefix("weights.") }
            if !weightKeys.isEmpty {
                let keys = weightKeys.map { String($0.dropFirst("weights.".count)) }
                result = Checkpoint(tensors: Dictionary(uniqueKeysWithValues: zip(keys, weightKeys.map { f.tensors[$0]! })),
                                   keys: keys, source: "safetensors (keys under 'weights.')")
            } else {
                result = Checkpoint(tensors: f.tensors, keys: f.keys, source: "safetensors")
            }
        }
        if !result.keys.isEmpty && result.keys.allSatisfy({ $0.hasPrefix("module.") }) {
            let keys = result.keys.map { String($0.dropFirst("module.".count)) }
            result = Checkpoint(tensors: Dictionary(uniqueKeysWithValues: zip(keys, result.keys.map { result.tensors[$0]! })),
                               keys: keys, source: result.source + ", 'module.' prefix stripped")
        }
        return result
    }

    static func fromTorch(_ object: TorchObject, file: String) throws -> Checkpoint {
        func asStateDict(_ o: TorchObject) -> [(String, Tensor)]? {
            guard let entries = o.tensorEntries, !entries.isEmpty else { return nil }
            guard case let .dict(all) = o else { return nil }
            // A checkpoint dict has a few tensors at most beside many other entries; a state dict
            // holds tensors only (non-tensor extras are rare: `_metadata` is pickled as state).
            return entries.count * 2 >= all.count ? entries : nil
        }
        for key in ["state_dict", "model", "state_dict_ema", "model_ema", "net"] {
            if let inner = object[key], let entries = asStateDict(inner) {
                return Checkpoint(tensors: Dictionary(entries, uniquingKeysWith: { a, _ in a }), keys: entries.map(\.0),
                                 source: "checkpoint['\(key)']")
            }
        }
        if let entries = asStateDict(object) {
            return Checkpoint(tensors: Dictionary(entries, uniquingKeysWith: { a, _ in a }), keys: entries.map(\.0),
                             source: "state_dict at top level")
        }
        var found = "no dict of tensors"
        if case let .dict(entries) = object {
            found = "top-level keys " + entries.prefix(12).map { e -> String in
                if case let .string(s) = e.key { return "'\(s)'" }
                return "?"
            }.joined(separator: ", ")
        }
        throw InputError(file: file, format: "checkpoint",
                         expected: "a state_dict (dict of tensors), or a dict with 'state_dict' or 'model' holding one",
                         found: found)
    }
}
