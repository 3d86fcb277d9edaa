import Foundation

/// Which weights of a file to load, and how to rename them (`--ema`, `--key`, `--key-map`).
public struct WeightSelection: Sendable {
    /// Take the EMA weights (`state_dict_ema`, else `model_ema`).
    public var ema: Bool
    /// Take this top-level entry of a checkpoint.
    public var key: String?
    /// Rename keys (after prefix stripping) before loading.
    public var keyMap: KeyMap?

    public init(ema: Bool = false, key: String? = nil, keyMap: KeyMap? = nil) {
        self.ema = ema
        self.key = key
        self.keyMap = keyMap
    }
}

/// Model weights as a flat `state_dict`, read from safetensors or a PyTorch checkpoint, with
/// what the file says about itself.
public struct Checkpoint: Sendable {
    /// Parameter and buffer tensors by PyTorch name (`block.0.attn.q_conv.weight`, ...), Float32;
    /// FP16/BF16/float64 and integer tensors (`num_batches_tracked`) are converted to Float32.
    public var tensors: [String: Tensor]
    /// Keys in file order (after prefix stripping and the key map).
    public var keys: [String]
    /// Where the tensors were found, for the user: "safetensors", "safetensors (keys under
    /// 'weights.')", "state_dict at top level", "checkpoint['state_dict']", ...
    public var source: String
    /// What was done to the keys and values on the way (prefixes stripped, keys renamed,
    /// tensors widened), one sentence each, for stderr.
    public var notes: [String] = []
    /// The stored element type of each tensor (`float32`, `float16`, `int64`, ...), by key.
    public var dtypes: [String: String] = [:]
    /// The container: "safetensors", "PyTorch zip" or "PyTorch legacy".
    public var container: String = "safetensors"
    /// The whole unpickled object of a PyTorch file (training metadata, args), nil for safetensors.
    public var root: TorchObject?
    /// A safetensors file's `__metadata__`.
    public var metadata: [String: String] = [:]
}

/// Loads weights for the model.
public enum CheckpointFile {
    /// Entries taken by default, in this order (timm/Spikformer/SDT savers, common scripts).
    static let defaultKeys = ["state_dict", "model", "net"]
    /// EMA entries (`--ema`), in this order.
    static let emaKeys = ["state_dict_ema", "model_ema"]

    /// Reads a state dict from a `.safetensors` file or a PyTorch `.pth`/`.pt`/`.pth.tar` file
    /// (zip or legacy).
    ///
    /// - A PyTorch file holding a dict of tensors only is the state dict itself.
    /// - A training checkpoint (timm's saver: `epoch`, `arch`, `state_dict`, `optimizer`, `args`,
    ///   `metric`, `state_dict_ema`, `amp_scaler`, ...) gives `state_dict` (else `model`, else
    ///   `net`); `selection.ema` takes `state_dict_ema` (else `model_ema`); `selection.key` any
    ///   other top-level entry. Other entries may hold anything the unpickler keeps as inert data.
    /// - Inside the chosen state dict only tensors are accepted.
    /// - A safetensors file whose keys share a `weights.` prefix (our fixtures) has it stripped.
    /// - `module.` (DataParallel) and `_orig_mod.` (torch.compile) prefixes shared by every key
    ///   are stripped; then `selection.keyMap` renames keys. Both are reported in `notes`, as are
    ///   FP16/BF16/float64 tensors converted to Float32.
    /// - Throws: the reader's `InputError`; `InputError` (format "checkpoint") when no state dict
    ///   is found (naming the top-level entries), the requested entry is absent, or the chosen one
    ///   holds something other than tensors (naming the key and what it holds); the key map's
    ///   `InputError` when renaming makes two keys collide.
    public static func loadStateDict(path: String, selection: WeightSelection = WeightSelection()) throws -> Checkpoint {
        let bytes = try InputBytes.read(path, format: "checkpoint")
        var result: Checkpoint
        if TorchFile.isZip(bytes) || TorchFile.isLegacy(bytes) {
            result = try fromTorch(TorchFile.parse(bytes, file: path), file: path, selection: selection)
            result.container = TorchFile.isZip(bytes) ? "PyTorch zip" : "PyTorch legacy"
        } else {
            try FormatRecognition.requireWeights(bytes, file: path)
            let f = try Safetensors.parse(Data(bytes), file: path)
            if selection.ema || selection.key != nil {
                throw InputError(file: path, format: "safetensors", expected: "a PyTorch checkpoint with entries for --ema/--key",
                                 found: "a flat safetensors file (one state_dict)")
            }
            let weightKeys = f.keys.filter { $0.hasPrefix("weights.") }
            let names = weightKeys.isEmpty ? f.keys : weightKeys
            let keys = weightKeys.isEmpty ? f.keys : weightKeys.map { String($0.dropFirst("weights.".count)) }
            result = Checkpoint(tensors: Dictionary(uniqueKeysWithValues: zip(keys, names.map { f.tensors[$0]! })), keys: keys,
                                source: weightKeys.isEmpty ? "safetensors" : "safetensors (keys under 'weights.')")
            result.dtypes = Dictionary(uniqueKeysWithValues: zip(keys, names.map { f.dtypes[$0].map(dtypeName) ?? "float32" }))
            result.metadata = f.metadata
        }
        stripPrefixes(&result)
        if let map = selection.keyMap { try rename(&result, map) }
        let widened = Dictionary(grouping: result.dtypes.values.filter { ["float16", "bfloat16", "float64"].contains($0) }, by: { $0 })
        for (dtype, list) in widened.sorted(by: { $0.key < $1.key }) {
            result.notes.append("\(list.count) \(dtype) tensor\(list.count == 1 ? "" : "s") converted to float32")
        }
        return result
    }

    /// The PyTorch dtype name of a safetensors dtype.
    static func dtypeName(_ d: SafetensorsDType) -> String {
        switch d {
        case .f32: return "float32"
        case .f16: return "float16"
        case .bf16: return "bfloat16"
        case .f64: return "float64"
        case .i64: return "int64"
        case .i32: return "int32"
        case .u8: return "uint8"
        case .bool: return "bool"
        }
    }

    /// Strips `module.` / `_orig_mod.` while every key carries one (DDP around a compiled model
    /// gives both).
    static func stripPrefixes(_ c: inout Checkpoint) {
        while !c.keys.isEmpty {
            guard let prefix = ["module.", "_orig_mod."].first(where: { p in c.keys.allSatisfy { $0.hasPrefix(p) } }) else { return }
            let old = c.keys
            c.keys = old.map { String($0.dropFirst(prefix.count)) }
            c.tensors = Dictionary(uniqueKeysWithValues: zip(c.keys, old.map { c.tensors[$0]! }))
            c.dtypes = Dictionary(uniqueKeysWithValues: zip(c.keys, old.map { c.dtypes[$0] ?? "float32" }))
            let why = prefix == "module." ? "DataParallel/DistributedDataParallel" : "torch.compile"
            c.notes.append("'\(prefix)' prefix (\(why)) stripped from every key")
            c.source += ", '\(prefix)' prefix stripped"
        }
    }

    static func rename(_ c: inout Checkpoint, _ map: KeyMap) throws {
        let (keys, changed) = try map.rename(c.keys)
        let old = c.keys
        c.keys = keys
        c.tensors = Dictionary(uniqueKeysWithValues: zip(keys, old.map { c.tensors[$0]! }))
        c.dtypes = Dictionary(uniqueKeysWithValues: zip(keys, old.map { c.dtypes[$0] ?? "float32" }))
        c.notes.append("key map \(map.file): \(changed) of \(keys.count) keys renamed")
    }

    /// The top-level entries of a checkpoint dict by name.
    static func names(_ object: TorchObject) -> [String] {
        guard case let .dict(entries) = object else { return [] }
        return entries.compactMap { if case let .string(s) = $0.key { return s } else { return nil } }
    }

    /// True when `o` is a non-empty dict whose values are all tensors.
    static func isStateDict(_ o: TorchObject) -> Bool {
        guard case let .dict(entries) = o, !entries.isEmpty else { return false }
        return entries.allSatisfy { if case .tensor = $0.value { return true } else { return false } }
    }

    /// Picks the state dict of an unpickled `torch.save` object (see `loadStateDict`).
    static func fromTorch(_ object: TorchObject, file: String, selection: WeightSelection = WeightSelection()) throws -> Checkpoint {
        let top = names(object)
        let listed = top.prefix(16).map { "'\($0)'" }.joined(separator: ", ") + (top.count > 16 ? ", …" : "")
        func absent(_ what: String) -> InputError {
            InputError(file: file, format: "checkpoint", expected: what,
                       found: top.isEmpty ? "no dict of entries (\(object.summary(depth: 0)))" : "top-level entries \(listed)")
        }
        let chosen: String?
        if let key = selection.key {
            guard object[key] != nil else { throw absent("a top-level entry '\(key)' (--key)") }
            chosen = key
        } else if selection.ema {
            guard let k = emaKeys.first(where: { object[$0] != nil }) else { throw absent("an EMA entry 'state_dict_ema' or 'model_ema' (--ema)") }
            chosen = k
        } else if let k = defaultKeys.first(where: { if case .dict? = object[$0] { return true } else { return false } })
                    ?? defaultKeys.first(where: { object[$0] != nil }) {
            // A dict first: some scripts also keep a `model` name string beside `net`.
            chosen = k
        } else if isStateDict(object) {
            chosen = nil
        } else if let k = emaKeys.first(where: { object[$0] != nil }) {
            chosen = k
        } else {
            throw absent("a state_dict (dict of tensors), or a checkpoint with 'state_dict', 'model' or 'net' (or --key NAME)")
        }
        let dict = chosen.map { object[$0]! } ?? object
        let label = chosen.map { "checkpoint['\($0)']" } ?? "state_dict at top level"
        guard case let .dict(entries) = dict, !entries.isEmpty else {
            var found = dict.summary(depth: 1)
            if case .placeholder = dict { found += ": a pickled object, not a state_dict (save model.state_dict())" }
            throw InputError(file: file, format: "checkpoint", location: label, expected: "a non-empty dict of tensors (a state_dict)", found: found)
        }
        var keys: [String] = [], tensors: [String: Tensor] = [:], dtypes: [String: String] = [:]
        for e in entries {
            guard case let .string(k) = e.key else {
                throw InputError(file: file, format: "checkpoint", location: label, expected: "string keys", found: e.key.summary(depth: 0))
            }
            guard case let .tensor(t, dtype) = e.value else {
                throw InputError(file: file, format: "checkpoint", location: "\(label)['\(k)']",
                                 expected: "a tensor (a state_dict holds only tensors)", found: e.value.summary(depth: 1))
            }
            if tensors[k] == nil { keys.append(k) }
            tensors[k] = t
            dtypes[k] = dtype
        }
        var c = Checkpoint(tensors: tensors, keys: keys, source: label, dtypes: dtypes, container: "PyTorch", root: object)
        if chosen != nil && selection.key == nil && !selection.ema && emaKeys.contains(chosen!) {
            c.notes.append("no 'state_dict', 'model' or 'net' entry: using the EMA weights \(label)")
        }
        return c
    }
}
