import Foundation
import Testing
@testable import RTFormer

/// Checkpoints written by PyTorch 2.11 and timm 1.0.29 themselves (`Tests/checkpoints/torch/`, made by
/// `make_torch_checkpoints.py` beside them): timm's `CheckpointSaver` with a real `argparse.Namespace`,
/// AdamW state, `ModelEmaV2` and `NativeScaler`; an FP16 EMA under `module.`; the legacy format; a real
/// `torch.compile` wrapper's state_dict; a BF16 RTFormer; and pickles that smuggle code-running globals.
/// Each loadable file must give exactly the spikes of its plain float32 twin.
@Suite struct TorchWrittenCheckpointTests {
    static let folder: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<2 { url.deleteLastPathComponent() }   // Tests/RTFormerTests/x.swift → Tests
        return url.appendingPathComponent("checkpoints/torch").path
    }()

    private static func path(_ name: String) -> String { folder + "/" + name }

    /// The shared Spikformer fixture's weights (`weights.*`), the reference the files were written from.
    private static func fixtureWeights() throws -> StateDict {
        let f = try Fixtures.load("spikformer_tiny.safetensors")
        return Dictionary(uniqueKeysWithValues: f.keys.filter { $0.hasPrefix("weights.") }.map { (String($0.dropFirst(8)), f.tensors[$0]!) })
    }

    /// Every LIF's spikes of `config` with `weights` on the Spikformer fixture's input `[2, 3, 32, 32]`.
    private static func spikes(_ weights: StateDict, _ config: ModelConfig) throws -> [String: Tensor] {
        let net = try Network(config: config, weights: weights, source: "w")
        let rec = Recorder()
        let x = try Fixtures.load("spikformer_tiny.safetensors").tensors["input"]!
        _ = try net.forward(FamilyFixture.repeated(x, timesteps: config.timesteps), recorder: rec)
        return Dictionary(uniqueKeysWithValues: rec.lifOrder.map { ($0, rec.lifs[$0]!.tensor(\.spikes)) })
    }

    private static let spikformerTiny = ModelConfig.named["spikformer-tiny"]!

    @Test func timmCheckpointSaverFile() throws {
        let file = Self.path("spikformer_tiny_timm_best.pth.tar")
        let plain = try CheckpointFile.loadStateDict(path: file)
        #expect(plain.container == "PyTorch zip")
        #expect(plain.source == "checkpoint['state_dict']")
        let reference = try Self.fixtureWeights()
        #expect(Set(plain.tensors.keys) == Set(reference.keys))
        for (k, t) in reference { #expect(plain.tensors[k] == t, "\(k)") }
        // timm's ModelEmaV2 copies the model at creation; no update ran, so the EMA equals it.
        let ema = try CheckpointFile.loadStateDict(path: file, selection: WeightSelection(ema: true))
        #expect(ema.source.hasPrefix("checkpoint['state_dict_ema']"))
        let inferred = try ConfigInference.infer(plain, file: file)
        var expected = Self.spikformerTiny
        expected.name = inferred.config.name
        #expect(inferred.config == expected)
        #expect(inferred.sources["embed_dims"] == "args.dim" && inferred.sources["num_heads"] == "args.num_heads")
        let a = try Self.spikes(plain.tensors, inferred.config), b = try Self.spikes(reference, Self.spikformerTiny)
        let c = try Self.spikes(ema.tensors, inferred.config)
        #expect(a.count == 12 && a == b && c == b)
        // The rest of the file is inert, readable data.
        let d = CheckpointDescription(file: file, checkpoint: plain)
        let entries = Dictionary(uniqueKeysWithValues: d.entries)
        #expect(entries["args"]?.hasPrefix("argparse.Namespace(model='spikformer'") == true)
        #expect(entries["metric"] == "numpy.float64(93.75)")
        #expect(entries["optimizer"] != nil && entries["amp_scaler"] != nil)
    }

    @Test func fp16EMAUnderModulePrefix() throws {
        let c = try CheckpointFile.loadStateDict(path: Self.path("spikformer_tiny_ema_fp16_module.pth"), selection: WeightSelection(ema: true))
        #expect(c.notes.contains { $0.contains("'module.' prefix") })
        #expect(c.dtypes["head.weight"] == "float16")
        let twin = try CheckpointFile.loadStateDict(path: Self.path("spikformer_tiny_ema_fp16_widened.safetensors"))
        #expect(c.tensors == twin.tensors)
        #expect(try Self.spikes(c.tensors, Self.spikformerTiny) == Self.spikes(twin.tensors, Self.spikformerTiny))
    }

    @Test func legacyAndCompiledFiles() throws {
        let reference = try Self.fixtureWeights()
        let legacy = try CheckpointFile.loadStateDict(path: Self.path("spikformer_tiny_legacy.pth"))
        #expect(legacy.container == "PyTorch legacy")
        let compiled = try CheckpointFile.loadStateDict(path: Self.path("spikformer_tiny_compiled.pth"))
        #expect(compiled.notes.contains { $0.contains("torch.compile") })
        for c in [legacy, compiled] { #expect(c.tensors == reference) }
        #expect(try ConfigInference.infer(legacy, file: "legacy").sources["T"] == "args.time_step")
    }

    @Test func bf16RTFormerUnderModelKey() throws {
        let c = try CheckpointFile.loadStateDict(path: Self.path("digits_tiny_bf16_model.pth"))
        #expect(c.source.hasPrefix("checkpoint['model']"))
        #expect(c.notes.contains { $0.contains("bfloat16 tensors converted to float32") })
        let twin = try CheckpointFile.loadStateDict(path: Self.path("digits_tiny_bf16_widened.safetensors"))
        #expect(c.tensors == twin.tensors)
        let tiny = ModelConfig.named["tiny"]!
        let s = try Self.spikes(c.tensors, tiny)
        #expect(s == (try Self.spikes(twin.tensors, tiny)))
        #expect(s.values.contains { $0.storage.contains(1) })   // neurons fire: the comparison means something
    }

    @Test(arguments: [("evil_os_system.pth", "posix.system"), ("evil_eval.pth", "eval"),
                      ("evil_subprocess_in_state_dict.pth", "Popen")])
    func smuggledGlobalsAreRefusedByName(_ name: String, _ global: String) throws {
        do {
            _ = try CheckpointFile.loadStateDict(path: Self.path(name))
            Issue.record("\(name) loaded")
        } catch {
            #expect("\(error)".contains(global), "\(error)")
        }
    }
}
