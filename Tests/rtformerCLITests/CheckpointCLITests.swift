import CheckpointWriter
import Foundation
import RTFormer
import Testing

/// Issue 12 from the command line: a timm-style training checkpoint with no `--model`.
@Suite(.serialized) struct CheckpointCLITests {
    static let fixture = CLI.fixtures + "/spikformer_tiny.safetensors"

    private func fixtureWeights() throws -> [(String, Tensor)] {
        let f = try Safetensors.read(path: Self.fixture)
        return f.keys.filter { $0.hasPrefix("weights.") }.map { (String($0.dropFirst(8)), f.tensors[$0]!) }
    }

    /// `model_best.pth.tar` as Spikformer's `train.py` (timm's saver) writes it: args, optimizer,
    /// numpy metric, EMA in FP16 under `module.`, AMP scaler state.
    private func modelBest() throws -> String {
        let w = try fixtureWeights()
        let root = TrainingCheckpoints.timm(weights: w, ema: TrainingCheckpoints.stateDict(w, dtype: "float16", prefix: "module."),
                                            args: TrainingCheckpoints.spikformerArgs(ModelConfig.named["spikformer-tiny"]!))
        let path = CLI.temp("model_best.pth.tar")
        try Data(try TorchSaveWriter.zip(root, archive: "model_best.pth")).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func forwardWithoutModelReproducesTheFixtureSpikes() throws {
        let ckpt = try modelBest(), out = CLI.temp("dump.safetensors")
        defer { for f in [ckpt, out] { try? FileManager.default.removeItem(atPath: f) } }
        let r = try CLI.run(["forward", "--weights", ckpt, "--input", Self.fixture, "--dump", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("config from the file: family spikformer"), "\(r.stderr)")
        #expect(r.stderr.contains("embed_dims 64 (args.dim)") && r.stderr.contains("num_heads 4 (args.num_heads)"))
        #expect(r.stderr.contains("weights from checkpoint['state_dict']"))
        let dump = try Safetensors.read(path: out), ref = try Safetensors.read(path: Self.fixture)
        let lifs = dump.keys.filter { $0.hasSuffix(".spikes") }
        #expect(lifs.count == 12)
        for k in lifs {
            let path = String(k.dropLast(".spikes".count))
            let expected = try #require(ref.tensors["out.\(path)"], "no reference for \(path)")
            #expect(dump.tensors[k]!.reshaped(expected.shape) == expected, "\(path) spikes")
        }
    }

    @Test func emaAndContradictionsAndHeads() throws {
        let ckpt = try modelBest(), out = CLI.temp("ema.safetensors")
        defer { for f in [ckpt, out] { try? FileManager.default.removeItem(atPath: f) } }
        let ema = try CLI.run(["forward", "--weights", ckpt, "--ema", "--input", Self.fixture, "--dump", out])
        #expect(ema.status == 0, "\(ema.stderr)")
        #expect(ema.stderr.contains("checkpoint['state_dict_ema']") && ema.stderr.contains("'module.' prefix"))
        #expect(ema.stderr.contains("float16 tensors converted to float32"))
        let wrong = try CLI.run(["forward", "--model", "spikformer-4-384", "--weights", ckpt, "--input", Self.fixture, "--dump", out])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("--model spikformer-4-384 contradicts") && wrong.stderr.contains("embed_dims is 384 in the model but 64 in the file (args.dim)"),
                "\(wrong.stderr)")
        let stray = try CLI.run(["forward", "--model", "spikformer-tiny", "--ema", "--input", Self.fixture, "--dump", out])
        #expect(stray.status == 2 && stray.stderr.contains("add --weights"), "\(stray.stderr)")
        // A bare state_dict: the shapes give all but the heads.
        let bare = CLI.temp("bare.pth")
        defer { try? FileManager.default.removeItem(atPath: bare) }
        try Data(try TorchSaveWriter.zip(TrainingCheckpoints.stateDict(try fixtureWeights()))).write(to: URL(fileURLWithPath: bare))
        let noHeads = try CLI.run(["forward", "--weights", bare, "--input", Self.fixture, "--dump", out])
        #expect(noHeads.status == 2 && noHeads.stderr.contains("pass --heads N"), "\(noHeads.stderr)")
        let heads = try CLI.run(["forward", "--weights", bare, "--heads", "4", "--input", Self.fixture, "--dump", out])
        #expect(heads.status == 0, "\(heads.stderr)")
        #expect(heads.stderr.contains("num_heads 4 (--heads)") && heads.stderr.contains("T 4 (default)"))
    }

    @Test func infoDescribesAWeightsFile() throws {
        let ckpt = try modelBest()
        defer { try? FileManager.default.removeItem(atPath: ckpt) }
        let text = try CLI.run(["info", "--weights", ckpt])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("PyTorch zip"))
        #expect(text.stdout.contains("args: argparse.Namespace(epochs=300, time_step=4"))
        #expect(text.stdout.contains("metric: numpy.float64(93.41)"))
        #expect(text.stdout.contains("training: epoch 299, arch 'spikformer', metric 93.41, version 2"))
        let j = try CLI.json(try CLI.run(["info", "--weights", ckpt, "--json"]))
        let sd = try #require(j["state_dict"] as? [String: Any])
        #expect(sd["source"] as? String == "checkpoint['state_dict']")
        #expect((sd["dtypes"] as? [String: Int]) == ["float32": 67, "int64": 11])
        #expect(sd["parameters"] as? Int == 113_426)
        #expect((j["config"] as? [String: Any])?["family"] as? String == "spikformer")
        #expect((j["training"] as? [String: Any])?["metric"] as? Double == 93.41)
        let ema = try CLI.json(try CLI.run(["info", "--weights", ckpt, "--ema", "--json"]))
        #expect(((ema["state_dict"] as? [String: Any])?["dtypes"] as? [String: Int]) == ["float16": 67, "int64": 11])
    }

    @Test func convertCanonicalWritesRenamedWeightsWithTheirConfig() throws {
        // Foreign names: `layers.N` for `block.N`.
        let foreign = try fixtureWeights().map { ($0.0.replacingOccurrences(of: "block.", with: "layers."), $0.1) }
        let src = CLI.temp("foreign.pth"), map = CLI.temp("map.json"), out = CLI.temp("canonical.safetensors")
        let a = CLI.temp("a.safetensors"), b = CLI.temp("b.safetensors")
        defer { for f in [src, map, out, a, b] { try? FileManager.default.removeItem(atPath: f) } }
        try Data(try TorchSaveWriter.zip(TrainingCheckpoints.stateDict(foreign))).write(to: URL(fileURLWithPath: src))
        try Data(#"[{"from": "^layers\\.", "to": "block."}]"#.utf8).write(to: URL(fileURLWithPath: map))
        let unmapped = try CLI.run(["forward", "--model", "spikformer-tiny", "--weights", src, "--input", Self.fixture, "--dump", a])
        #expect(unmapped.status == 2 && unmapped.stderr.contains("did you mean block.0."), "\(unmapped.stderr)")
        let conv = try CLI.run(["convert", "--model", "spikformer-tiny", "--weights", src, "--key-map", map, "--canonical", "--out", out])
        #expect(conv.status == 0, "\(conv.stderr)")
        #expect(conv.stderr.contains("keys renamed"))
        // The canonical file carries its config: no --model needed, same spikes as the fixture weights.
        let info = try CLI.json(try CLI.run(["info", "--weights", out, "--json"]))
        #expect((info["config_sources"] as? [String: String])?["num_heads"] == "metadata config.num_heads")
        #expect(try CLI.run(["forward", "--weights", out, "--input", Self.fixture, "--dump", a]).status == 0)
        #expect(try CLI.run(["forward", "--model", "spikformer-tiny", "--weights", Self.fixture, "--input", Self.fixture, "--dump", b]).status == 0)
        let da = try Safetensors.read(path: a), db = try Safetensors.read(path: b)
        for k in db.keys where k.hasSuffix(".spikes") { #expect(da.tensors[k] == db.tensors[k], "\(k)") }
    }
}
