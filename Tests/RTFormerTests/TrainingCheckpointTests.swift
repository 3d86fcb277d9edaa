import CheckpointWriter
import Foundation
import Testing
@testable import RTFormer

/// Issue 12: checkpoints as the public training scripts write them load, give exactly the spikes
/// of the equivalent plain safetensors file, and carry their config.
@Suite struct TrainingCheckpointTests {
    static let fixture = Result { try Fixtures.load("spikformer_tiny.safetensors") }

    /// The fixture's weights in file order.
    private func weights() throws -> [(String, Tensor)] {
        let f = try Self.fixture.get()
        return f.keys.filter { $0.hasPrefix("weights.") }.map { (String($0.dropFirst(8)), f.tensors[$0]!) }
    }

    /// EMA weights that differ from the trained ones (every running_var × 1.3), so choosing the
    /// wrong entry shows in the spikes.
    private func emaWeights() throws -> [(String, Tensor)] {
        try weights().map { k, t in
            k.hasSuffix("running_var") ? (k, Tensor(shape: t.shape, storage: t.storage.map { $0 * 1.3 })) : (k, t)
        }
    }

    private func write(_ bytes: [UInt8], _ name: String) throws -> String { try IOScratch.write(bytes, name: name) }

    /// Every LIF's spikes of `spikformer-tiny` with `dict` on the fixture input.
    private func spikes(_ dict: StateDict, config: ModelConfig? = nil) throws -> [String: Tensor] {
        let net = try Network(config: config ?? ModelConfig.named["spikformer-tiny"]!, weights: dict, source: "w")
        let rec = Recorder()
        _ = try net.forward(FamilyFixture.repeated(try #require(try Self.fixture.get().tensors["input"]), timesteps: 4), recorder: rec)
        #expect(rec.lifOrder.count == 12)
        return Dictionary(uniqueKeysWithValues: rec.lifOrder.map { ($0, rec.lifs[$0]!.tensor(\.spikes)) })
    }

    /// `pairs` as a plain safetensors file, loaded back: the reference.
    private func safetensors(_ pairs: [(String, Tensor)], _ name: String) throws -> Checkpoint {
        let path = try write([UInt8](try Safetensors.serialize(pairs)), name)
        return try CheckpointFile.loadStateDict(path: path)
    }

    private func expectSameSpikes(_ a: Checkpoint, _ b: Checkpoint, _ what: String) throws {
        #expect(Set(a.keys) == Set(b.keys), "\(what) keys")
        let sa = try spikes(a.tensors), sb = try spikes(b.tensors)
        for (path, s) in sa { #expect(s == sb[path], "\(what): \(path) spikes") }
    }

    @Test func timmCheckpointLoadsStateDictAndEMA() throws {
        let w = try weights(), e = try emaWeights()
        let root = TrainingCheckpoints.timm(weights: w, ema: TrainingCheckpoints.stateDict(e),
                                            args: TrainingCheckpoints.spikformerArgs(ModelConfig.named["spikformer-tiny"]!))
        let path = try write(try TorchSaveWriter.zip(root, archive: "model_best.pth"), "model_best.pth.tar")
        let plain = try CheckpointFile.loadStateDict(path: path)
        #expect(plain.source == "checkpoint['state_dict']")
        #expect(plain.container == "PyTorch zip")
        try expectSameSpikes(plain, try safetensors(w, "plain.safetensors"), "state_dict")
        let ema = try CheckpointFile.loadStateDict(path: path, selection: WeightSelection(ema: true))
        #expect(ema.source == "checkpoint['state_dict_ema']")
        try expectSameSpikes(ema, try safetensors(e, "ema.safetensors"), "state_dict_ema")
        // The EMA really differs: some spike differs from the trained weights'.
        #expect(try spikes(ema.tensors) != spikes(plain.tensors))
        let byKey = try CheckpointFile.loadStateDict(path: path, selection: WeightSelection(key: "state_dict_ema"))
        #expect(byKey.tensors == ema.tensors)
        // Everything else is inert data, readable.
        let d = CheckpointDescription(file: path, checkpoint: plain)
        let entries = Dictionary(uniqueKeysWithValues: d.entries)
        #expect(entries["args"]?.hasPrefix("argparse.Namespace(epochs=300, time_step=4, layer=1, dim=64, num_heads=4") == true)
        #expect(entries["metric"] == "numpy.float64(93.41)")
        #expect(d.training.contains { $0 == ("metric", "93.41") } && d.training.contains { $0 == ("epoch", "299") })
        guard case let .placeholder(args)? = plain.root?["args"] else { Issue.record("args not a placeholder"); return }
        let fields = Dictionary(uniqueKeysWithValues: args.attributes.map { ($0.0, $0.1.summary()) })
        #expect(fields["device"] == "torch.device('cuda', 0)")
        #expect(fields["output"] == "pathlib.PosixPath('/', 'home', 'user', 'output')")
        // The config comes from args.
        let inferred = try ConfigInference.infer(plain, file: "model_best.pth.tar")
        var expected = ModelConfig.named["spikformer-tiny"]!
        expected.name = inferred.config.name
        #expect(inferred.config == expected)
        #expect(inferred.sources["embed_dims"] == "args.dim" && inferred.sources["T"] == "args.time_step")
        #expect(inferred.sources["num_heads"] == "args.num_heads" && inferred.sources["depths"] == "args.layer")
    }

    @Test func fp16EMAUnderModulePrefix() throws {
        let w = try weights()
        let root = TrainingCheckpoints.timm(weights: w, ema: TrainingCheckpoints.stateDict(w, dtype: "float16", prefix: "module."),
                                            args: TrainingCheckpoints.spikformerArgs(ModelConfig.named["spikformer-tiny"]!))
        let path = try write(try TorchSaveWriter.zip(root, archive: "last.pth"), "last.pth.tar")
        let ema = try CheckpointFile.loadStateDict(path: path, selection: WeightSelection(ema: true))
        #expect(ema.notes.contains { $0.contains("'module.' prefix") })
        #expect(ema.notes.contains { $0.contains("float16 tensors converted to float32") })
        #expect(ema.dtypes["head.weight"] == "float16")
        // The equivalent plain file: the same FP16 values, widened, as float32 safetensors.
        let widened = w.map { k, t in
            (k, k.hasSuffix("num_batches_tracked") ? t : Tensor(shape: t.shape, storage: t.storage.map { Safetensors.halfToFloat(TorchSaveWriter.half($0)) }))
        }
        try expectSameSpikes(ema, try safetensors(widened, "ema16.safetensors"), "fp16 EMA")
    }

    @Test func bf16StateDictIsWidened() throws {
        let w = try weights()
        let path = try write(try TorchSaveWriter.zip(TrainingCheckpoints.stateDict(w, dtype: "bfloat16")), "bf16.pth")
        let c = try CheckpointFile.loadStateDict(path: path)
        #expect(c.notes.contains { $0.contains("bfloat16 tensors converted to float32") })
        let widened = w.map { k, t in
            (k, k.hasSuffix("num_batches_tracked") ? t : Tensor(shape: t.shape, storage: t.storage.map { Float(bitPattern: UInt32(TorchSaveWriter.bfloat($0)) << 16) }))
        }
        try expectSameSpikes(c, try safetensors(widened, "bf16.safetensors"), "bf16")
        #expect(c.tensors["head.weight"] != Dictionary(uniqueKeysWithValues: w)["head.weight"])   // really rounded
    }

    @Test func legacyFormatCheckpoint() throws {
        let w = try weights()
        let root = TrainingCheckpoints.timm(weights: w, args: TrainingCheckpoints.spikformerArgs(ModelConfig.named["spikformer-tiny"]!))
        let path = try write(TorchSaveWriter.legacy(root), "legacy.pth")
        let c = try CheckpointFile.loadStateDict(path: path)
        #expect(c.container == "PyTorch legacy")
        try expectSameSpikes(c, try safetensors(w, "legacy.safetensors"), "legacy")
        #expect(try ConfigInference.infer(c, file: "legacy.pth").sources["embed_dims"] == "args.dim")
    }

    @Test func torchCompilePrefix() throws {
        let w = try weights()
        let path = try write(try TorchSaveWriter.zip(TrainingCheckpoints.stateDict(w, prefix: "_orig_mod.")), "compiled.pth")
        let c = try CheckpointFile.loadStateDict(path: path)
        #expect(c.source == "state_dict at top level, '_orig_mod.' prefix stripped")
        #expect(c.notes.contains { $0.contains("torch.compile") })
        try expectSameSpikes(c, try safetensors(w, "compiled.safetensors"), "_orig_mod.")
        // DDP around a compiled model: both prefixes.
        let both = try write(try TorchSaveWriter.zip(TrainingCheckpoints.stateDict(w, prefix: "module._orig_mod.")), "both.pth")
        #expect(try CheckpointFile.loadStateDict(path: both).tensors == c.tensors)
    }

    @Test(arguments: [("os", "system"), ("builtins", "eval"), ("builtins", "exec"), ("subprocess", "Popen"), ("posix", "system"),
                      ("builtins", "getattr"), ("subprocess", "check_output")])
    func codeRunningGlobalsAreRefusedAnywhere(_ module: String, _ name: String) throws {
        let w = try weights().prefix(4).map { $0 }
        let evil = PyValue.call(module: module, name: name, args: [.str("touch /tmp/pwned")])
        // In the args Namespace, in the metric, and inside the state_dict; zip and legacy files.
        let inArgs = TrainingCheckpoints.timm(weights: w, args: .namespace([("dim", .int(64)), ("hook", evil)]))
        let asMetric = PyValue.dict([(.str("state_dict"), TrainingCheckpoints.stateDict(w)), (.str("metric"), evil)])
        let inState = PyValue.stateDict([("head.weight", evil)])
        for (i, root) in [inArgs, asMetric, inState].enumerated() {
            for legacy in [false, true] {
                let bytes = legacy ? TorchSaveWriter.legacy(root) : try TorchSaveWriter.zip(root)
                let path = try write(bytes, "evil-\(module).\(name)-\(i)\(legacy).pth")
                do {
                    _ = try CheckpointFile.loadStateDict(path: path)
                    Issue.record("\(module).\(name) accepted (case \(i), legacy \(legacy))")
                } catch let e as InputError {
                    #expect(e.description.contains("refusing global '\(module).\(name)'"), "\(e)")
                }
            }
        }
    }

    @Test func onlyTensorsInsideTheStateDict() throws {
        let root = PyValue.dict([(.str("state_dict"), .stateDict([("head.bias", .tensor(Tensor(shape: [2]), dtype: "float32")),
                                                                     ("head.weight", .call(module: "torch", name: "device", args: [.str("cpu")]))]))])
        let path = try write(try TorchSaveWriter.zip(root), "placeholder_in_sd.pth")
        #expect {
            try CheckpointFile.loadStateDict(path: path)
        } throws: { e in
            "\(e)".contains("checkpoint['state_dict']['head.weight']") && "\(e)".contains("torch.device('cpu')")
        }
        // A pickled module instead of a state_dict says so.
        let module = PyValue.dict([(.str("model"), .namespace([("training", .bool(false))]))])
        let mpath = try write(try TorchSaveWriter.zip(module), "module.pth")
        #expect { try CheckpointFile.loadStateDict(path: mpath) } throws: { "\($0)".contains("save model.state_dict()") }
        // --key names an absent entry: the entries are listed.
        #expect {
            try CheckpointFile.loadStateDict(path: mpath, selection: WeightSelection(key: "ema"))
        } throws: { "\($0)".contains("'ema'") && "\($0)".contains("top-level entries 'model'") }
        // A `model` name string beside the weights in `net`: the dict is taken.
        let named = PyValue.dict([(.str("model"), .str("spikformer")), (.str("net"), TrainingCheckpoints.stateDict(try weights()))])
        let npath = try write(try TorchSaveWriter.zip(named), "named.pth")
        #expect(try CheckpointFile.loadStateDict(path: npath).source == "checkpoint['net']")
    }

    @Test func missingNumBatchesTrackedIsANote() throws {
        let w = try weights()
        let kept = w.filter { !$0.0.hasSuffix("num_batches_tracked") }
        let net = try Network(config: ModelConfig.named["spikformer-tiny"]!, weights: Dictionary(uniqueKeysWithValues: kept), source: "w")
        #expect(net.defaultedKeys.count == w.count - kept.count && net.defaultedKeys.count > 0)
        #expect(try spikes(Dictionary(uniqueKeysWithValues: kept)) == spikes(Dictionary(uniqueKeysWithValues: w)))
        // Any other missing key stays an error.
        #expect(throws: WeightLoadError.self) {
            try Network(config: ModelConfig.named["spikformer-tiny"]!, weights: Dictionary(uniqueKeysWithValues: kept.dropFirst()), source: "w")
        }
    }

    @Test func configFromShapesNeedsHeads() throws {
        let path = try write(try TorchSaveWriter.zip(TrainingCheckpoints.stateDict(try weights())), "sd.pth")
        let c = try CheckpointFile.loadStateDict(path: path)
        #expect { try ConfigInference.infer(c, file: "sd.pth") } throws: { "\($0)".contains("pass --heads N") }
        let i = try ConfigInference.infer(c, heads: 4, file: "sd.pth")
        var expected = ModelConfig.named["spikformer-tiny"]!
        expected.name = "sd.pth"
        #expect(i.config == expected)
        #expect(i.sources["embed_dims"] == "shape of head.weight [10, 64]")
        #expect(i.sources["depths"] == "block.0 keys" && i.sources["num_heads"] == "--heads" && i.sources["T"] == "default")
        #expect(i.sources["mlp_ratios"] == "shape of block.0.mlp.fc1_linear.weight [256, 64]")
        // An explicit config that contradicts the file names the field.
        #expect {
            try ConfigInference.check(ModelConfig.named["spikformer-4-384"]!, against: i, file: "sd.pth")
        } throws: { "\($0)".contains("embed_dims is 384 in the model but 64 in the file (shape of head.weight [10, 64])") }
        try ConfigInference.check(ModelConfig.named["spikformer-tiny"]!, against: i, file: "sd.pth")
    }

    @Test func absurdArgsNeverReachAnIntConversion() throws {
        // time_step 1e300 and a negative dim are ignored (not integers a config can hold); the
        // shapes still give the dims, T falls back to its default with a note.
        let args = PyValue.namespace([("time_step", .float(1e300)), ("dim", .int(-64)), ("num_heads", .int(4))])
        let root = TrainingCheckpoints.timm(weights: try weights(), args: args)
        let c = try CheckpointFile.loadStateDict(path: try write(try TorchSaveWriter.zip(root), "absurd.pth"))
        let i = try ConfigInference.infer(c, file: "absurd.pth")
        #expect(i.config.timesteps == 4 && i.sources["T"] == "default" && i.config.embedDims == 64)
    }

    @Test func rtformerAndSDTConfigsFromTheirFiles() throws {
        // rtformer: T from the TSBN [T, C] parameters, family from the stcore keys, membrane TSBN from the keys.
        let rt = try Fixtures.load("rtformer_tiny.safetensors")
        let rtPairs = rt.keys.filter { $0.hasPrefix("weights.") }.map { (String($0.dropFirst(8)), rt.tensors[$0]!) }
        let rtFile = try CheckpointFile.loadStateDict(path: try write(try TorchSaveWriter.zip(TrainingCheckpoints.stateDict(rtPairs)), "rt.pth"))
        let r = try ConfigInference.infer(rtFile, heads: 4, file: "rt.pth")
        var tiny = ModelConfig.named["tiny"]!
        tiny.name = "rt.pth"
        #expect(r.config == tiny)
        #expect(r.sources["T"]?.hasPrefix("shape of ") == true && r.sources["membrane_tsbn"]?.contains("tsbn keys") == true)
        // sdt: the Spike-Driven Transformer's own args names; heads also show in talking_heads.
        let sdt = try Fixtures.load("sdt_tiny.safetensors")
        let sdtPairs = sdt.keys.filter { $0.hasPrefix("weights.") }.map { (String($0.dropFirst(8)), sdt.tensors[$0]!) }
        let sdtConfig = ModelConfig.named["sdt-tiny"]!
        let root = TrainingCheckpoints.timm(weights: sdtPairs, args: TrainingCheckpoints.sdtArgs(sdtConfig), arch: "sdt")
        let s = try ConfigInference.infer(try CheckpointFile.loadStateDict(path: try write(try TorchSaveWriter.zip(root), "sdt.pth")), file: "sdt.pth")
        var expected = sdtConfig
        expected.name = "sdt.pth"
        #expect(s.config == expected)
        #expect(s.sources["T"] == "args.time_steps" && s.sources["pooling_stat"] == "args.pooling_stat")
        let shapesOnly = try ConfigInference.infer(try CheckpointFile.loadStateDict(
            path: try write(try TorchSaveWriter.zip(TrainingCheckpoints.stateDict(sdtPairs)), "sdt_sd.pth")), file: "sdt_sd.pth")
        #expect(shapesOnly.config.numHeads == 4 && shapesOnly.sources["num_heads"]?.contains("talking_heads") == true)
    }

    @Test func keyMapRenamesAndStrictLoadSuggests() throws {
        let rt = try Fixtures.load("rtformer_tiny.safetensors")
        let canonical = rt.keys.filter { $0.hasPrefix("weights.") }.map { (String($0.dropFirst(8)), rt.tensors[$0]!) }
        // Someone's own implementation: `proj_bn` for `proj_tsbn`, `layers.N` for `block.N`.
        let foreign = canonical.map { k, t in
            (k.replacingOccurrences(of: "patch_embed.proj_tsbn.", with: "patch_embed.proj_bn.")
                .replacingOccurrences(of: "block.", with: "layers."), t)
        }
        let path = try write([UInt8](try Safetensors.serialize(foreign)), "foreign.safetensors")
        let renamedOne = canonical.map { ($0.0.replacingOccurrences(of: "patch_embed.proj_tsbn.", with: "patch_embed.proj_bn."), $0.1) }
        do {
            _ = try Network(config: ModelConfig.named["tiny"]!, weights: Dictionary(uniqueKeysWithValues: renamedOne), source: path)
            Issue.record("foreign keys accepted")
        } catch let e as WeightLoadError {
            #expect("\(e)".contains("patch_embed.proj_bn.weight — did you mean patch_embed.proj_tsbn.weight?"), "\(e)")
        }
        let mapPath = try write(Array(#"[{"from": "\\.proj_bn\\.", "to": ".proj_tsbn."}, {"from": "^layers\\.(\\d+)\\.", "to": "block.$1."}]"#.utf8), "map.json")
        let mapped = try CheckpointFile.loadStateDict(path: path, selection: WeightSelection(keyMap: try KeyMap.load(path: mapPath)))
        #expect(mapped.notes.contains { $0.contains("keys renamed") })
        #expect(mapped.tensors == Dictionary(uniqueKeysWithValues: canonical))
        // Bad maps are one clear error each.
        let bad = try write(Array(#"[{"from": "(", "to": "x"}]"#.utf8), "bad.json")
        #expect { try KeyMap.load(path: bad) } throws: { "\($0)".contains("rule 1") }
        let collide = try KeyMap(rules: [("weight$", "bias")])
        #expect { try collide.rename(["a.weight", "a.bias"]) } throws: { "\($0)".contains("both become 'a.bias'") }
    }

    @Test func placeholdersKeepTheirDataAsWritten() throws {
        // A numpy array (`_reconstruct` + BUILD), a defaultdict (SETITEMS onto a placeholder), a set,
        // a SimpleNamespace, a torch.Size: all inert data beside a state_dict.
        let array = PyValue.built(.call(module: "numpy.core.multiarray", name: "_reconstruct",
                                        args: [.global(module: "numpy", name: "ndarray"), .tuple([.int(0)]), .bytes(Array("b".utf8))]),
                                  state: .tuple([.int(1), .tuple([.int(2)]), .call(module: "numpy", name: "dtype", args: [.str("f8"), .bool(false), .bool(true)]),
                                                 .bool(false), .bytes([UInt8](repeating: 0, count: 16))]))
        let counts = PyValue.withItems(.call(module: "collections", name: "defaultdict", args: [.global(module: "builtins", name: "int")]),
                                       [(.str("cat"), .int(3)), (.str("ship"), .int(8))])
        let root = PyValue.dict([
            (.str("state_dict"), TrainingCheckpoints.stateDict(try weights().prefix(2).map { $0 })),
            (.str("confusion"), array), (.str("counts"), counts),
            (.str("classes"), .call(module: "builtins", name: "set", args: [.list([.str("cat"), .str("ship")])])),
            (.str("cfg"), .built(.call(module: "types", name: "SimpleNamespace", args: []), state: .dict([(.str("dim"), .int(64))]))),
            (.str("shape"), .call(module: "torch", name: "Size", args: [.tuple([.int(4), .int(2)])])),
        ])
        let c = try CheckpointFile.loadStateDict(path: try write(try TorchSaveWriter.zip(root), "placeholders.pth"))
        #expect(c.keys.count == 2)
        let d = Dictionary(uniqueKeysWithValues: CheckpointDescription(file: "p", checkpoint: c).entries)
        #expect(d["confusion"]?.hasPrefix("numpy.core.multiarray._reconstruct(numpy.ndarray(), (0), bytes (1))") == true, "\(d)")
        #expect(d["counts"] == "collections.defaultdict(cat=3, ship=8)")
        #expect(d["classes"] == "builtins.set(['cat', 'ship'])")
        #expect(d["cfg"] == "types.SimpleNamespace(dim=64)")
        #expect(d["shape"] == "torch.Size((4, 2))")
        // Protocol-4 opcodes for the same kinds of data: EMPTY_SET + ADDITEMS, FROZENSET, NEWOBJ_EX.
        let str: (String) -> [UInt8] = { [0x8C, UInt8($0.utf8.count)] + Array($0.utf8) }
        let pickle: [UInt8] = [0x80, 0x04, 0x7D, 0x94] + str("s") + [0x8F, 0x28, 0x4B, 1, 0x4B, 2, 0x90] + [0x73]
            + str("f") + [0x28, 0x4B, 3, 0x91, 0x73]
            + str("o") + str("argparse") + str("Namespace") + [0x93, 0x29, 0x7D] + str("dim") + [0x4B, 64, 0x73, 0x92, 0x73] + [0x2E]
        var u = TorchUnpickler(pickle, file: "p4.pth", member: "data.pkl")
        let object = try TorchFile.materialise(try u.load(), file: "p4.pth") { _ in [] }
        #expect(object["s"]?.summary() == "[1, 2]" && object["f"]?.summary() == "[3]")
        #expect(object["o"]?.summary() == "argparse.Namespace(dim=64)")
    }
}

/// Checkpoints pickled by CPython itself (`Tests/checkpoints/make_checkpoints.py`: real
/// `argparse.Namespace`, `OrderedDict` with `_metadata`, `pathlib`, numpy float64; torch's tensor
/// and storage encoding), a Spikformer with embed_dims 16 and 2 heads.
@Suite struct CPythonCheckpointTests {
    static let folder: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<2 { url.deleteLastPathComponent() }   // Tests/RTFormerTests/x.swift → Tests
        return url.appendingPathComponent("checkpoints").path
    }()

    private func spikes(_ c: Checkpoint, _ config: ModelConfig) throws -> [String: Tensor] {
        let net = try Network(config: config, weights: c.tensors, source: "w")
        let rec = Recorder()
        let x = try Safetensors.read(path: Fixtures.path("spikformer_tiny.safetensors")).tensors["input"]!
        _ = try net.forward(FamilyFixture.repeated(x, timesteps: config.timesteps), recorder: rec)
        return Dictionary(uniqueKeysWithValues: rec.lifOrder.map { ($0, rec.lifs[$0]!.tensor(\.spikes)) })
    }

    @Test(arguments: ["spikformer_d16_model_best.pth.tar", "spikformer_d16_legacy.pth"])
    func loadsLikeItsSafetensorsTwin(_ name: String) throws {
        let path = Self.folder + "/" + name
        let plain = try CheckpointFile.loadStateDict(path: path)
        let ema = try CheckpointFile.loadStateDict(path: path, selection: WeightSelection(ema: true))
        let refPlain = try CheckpointFile.loadStateDict(path: Self.folder + "/spikformer_d16.safetensors")
        let refEMA = try CheckpointFile.loadStateDict(path: Self.folder + "/spikformer_d16_ema16.safetensors")
        #expect(plain.tensors == refPlain.tensors)
        #expect(ema.tensors == refEMA.tensors)
        #expect(ema.notes.contains { $0.contains("'module.' prefix") } && ema.dtypes["head.weight"] == "float16")
        let inferred = try ConfigInference.infer(plain, file: name)
        #expect(inferred.config.family == .spikformer && inferred.config.embedDims == 16 && inferred.config.numHeads == 2)
        #expect(inferred.config.depths == 1 && inferred.config.timesteps == 4 && inferred.sources["num_heads"] == "args.num_heads")
        let config = inferred.config
        let (a, b) = (try spikes(plain, config), try spikes(refPlain, config))
        #expect(a.count == 12 && a == b)
        let (c, d) = (try spikes(ema, config), try spikes(refEMA, config))
        #expect(c == d && c != a)
        // Some neurons fire, some do not: the comparison is not between two silent networks.
        let total = a.values.reduce(Float(0)) { $0 + $1.storage.reduce(0, +) }
        #expect(total > 0 && total < Float(a.values.reduce(0) { $0 + $1.count }))
        let d16 = Dictionary(uniqueKeysWithValues: CheckpointDescription(file: name, checkpoint: plain).entries)
        #expect(d16["args"]?.hasPrefix("argparse.Namespace(epochs=300, time_step=4, layer=1, dim=16, num_heads=2") == true)
        #expect(d16["metric"] == "numpy.float64(93.41)")
    }
}
