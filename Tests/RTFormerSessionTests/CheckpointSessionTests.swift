import CheckpointWriter
import Foundation
import RTFormer
import Testing
@testable import RTFormerSession

/// Issue 12 in the session language: `load weights FILE [ema]` on a training checkpoint builds
/// the model from the file's config.
@Suite struct CheckpointSessionTests {
    private func spikformerCheckpoint() throws -> String {
        let f = try Safetensors.read(path: SessionFixtures.sharedRoot + "/fixtures/spikformer_tiny.safetensors")
        let w = f.keys.filter { $0.hasPrefix("weights.") }.map { (String($0.dropFirst(8)), f.tensors[$0]!) }
        let root = TrainingCheckpoints.timm(weights: w, ema: TrainingCheckpoints.stateDict(w, dtype: "float16", prefix: "module."),
                                            args: TrainingCheckpoints.spikformerArgs(ModelConfig.named["spikformer-tiny"]!))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rtformer-session-\(UInt32.random(in: 0...UInt32.max))-model_best.pth.tar").path
        try Data(try TorchSaveWriter.zip(root, archive: "model_best.pth")).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func loadWeightsWithoutAModelBuildsItFromTheFile() throws {
        let path = try spikformerCheckpoint()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let s = Session(baseDirectory: SessionFixtures.packageRoot.path)
        let r = s.execute(line: "load weights \(path) ema")
        #expect(r.error == nil, "\(r.error.map { "\($0)" } ?? "")")
        #expect(r.output.contains("checkpoint['state_dict_ema']") && r.output.contains("built from the file's config"), "\(r.output)")
        #expect(r.output.contains("float16 tensors converted to float32") && r.output.contains("'module.' prefix"))
        #expect(s.config?.family == .spikformer && s.config?.embedDims == 64 && s.config?.numHeads == 4)
        // A current model of another family is replaced by the file's.
        let t = Session(baseDirectory: SessionFixtures.packageRoot.path)
        try SessionFixtures.run(t, ["model tiny", "load weights \(path)", "input default"])
        #expect(t.config?.family == .spikformer)
    }

    @Test func aModelDifferingOnlyInFreeFieldsIsKept() throws {
        // The fixture's metadata says tsbn_window 2; a window-1 model keeps its window.
        let s = Session(baseDirectory: SessionFixtures.packageRoot.path)
        try SessionFixtures.run(s, ["model sessions/configs/tiny-L1.json"])
        let r = s.execute(line: "load weights \(SessionFixtures.tinyWeights)")
        #expect(r.error == nil)
        #expect(s.config?.tsbnWindow == 1)
        #expect(r.output.contains("has tsbn_window 1, the file says 2"), "\(r.output)")
    }

    @Test func keyMapAndHeadsForABareStateDict() throws {
        let f = try Safetensors.read(path: SessionFixtures.sharedRoot + "/fixtures/spikformer_tiny.safetensors")
        let foreign = f.keys.filter { $0.hasPrefix("weights.") }
            .map { (String($0.dropFirst(8)).replacingOccurrences(of: "block.", with: "layers."), f.tensors[$0]!) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rtformer-session-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(try TorchSaveWriter.zip(TrainingCheckpoints.stateDict(foreign))).write(to: dir.appendingPathComponent("sd.pth"))
        try Data(#"[{"from": "^layers\\.", "to": "block."}]"#.utf8).write(to: dir.appendingPathComponent("map.json"))
        let s = Session(baseDirectory: dir.path)
        let noHeads = s.execute(line: "load weights sd.pth map map.json")
        #expect(noHeads.error?.contains("pass `heads N`") == true, "\(noHeads.error ?? "")")
        let r = s.execute(line: "load weights sd.pth map map.json heads 4")
        #expect(r.error == nil, "\(r.error ?? "")")
        #expect(r.output.contains("num_heads 4 (heads)") && r.output.contains("keys renamed"), "\(r.output)")
        #expect(s.config?.family == .spikformer && s.config?.numHeads == 4)
    }
}
