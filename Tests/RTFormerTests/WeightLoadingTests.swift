import Foundation
import Testing
@testable import RTFormer

/// Strict loading (SPEC decision 7): missing, unexpected and mis-shaped keys listed by name; the
/// checkpoint flavour recognised.
@Suite struct WeightLoadingTests {
    static func tinyWeights() throws -> StateDict {
        try Network(config: try ModelConfig.load("tiny"), seed: 7).stateDict
    }

    @Test func missingKeyIsNamed() throws {
        var w = try Self.tinyWeights()
        w["block.0.attn.q_conv.weight"] = nil
        #expect(throws: WeightLoadError.mismatch(file: "ckpt", model: "tiny", missing: ["block.0.attn.q_conv.weight"], unexpected: [], misShaped: [])) {
            _ = try Network(config: try ModelConfig.load("tiny"), weights: w, source: "ckpt")
        }
    }

    @Test func unexpectedKeyIsNamed() throws {
        var w = try Self.tinyWeights()
        w["block.0.attn.extra.weight"] = Tensor(shape: [3])
        #expect(throws: WeightLoadError.mismatch(file: "ckpt", model: "tiny", missing: [], unexpected: ["block.0.attn.extra.weight"], misShaped: [])) {
            _ = try Network(config: try ModelConfig.load("tiny"), weights: w, source: "ckpt")
        }
    }

    @Test func wrongShapeIsNamedWithBothShapes() throws {
        var w = try Self.tinyWeights()
        w["head.weight"] = Tensor(shape: [10, 32])
        do {
            _ = try Network(config: try ModelConfig.load("tiny"), weights: w, source: "ckpt")
            Issue.record("loading a mis-shaped checkpoint succeeded")
        } catch let e as WeightLoadError {
            #expect(e == .mismatch(file: "ckpt", model: "tiny", missing: [], unexpected: [], misShaped: ["head.weight (expected [10, 64], found [10, 32])"]))
            #expect("\(e)".contains("head.weight"))
        }
    }

    @Test func allProblemsReportedInOneError() throws {
        var w = try Self.tinyWeights()
        w["head.bias"] = nil
        w["stray"] = Tensor(scalar: 1)
        w["head.weight"] = Tensor(shape: [1])
        do {
            _ = try Network(config: try ModelConfig.load("tiny"), weights: w, source: "ckpt")
            Issue.record("loading succeeded")
        } catch let WeightLoadError.mismatch(_, _, missing, unexpected, misShaped) {
            #expect(missing == ["head.bias"])
            #expect(unexpected == ["stray"])
            #expect(misShaped.count == 1)
        }
    }

    @Test func deployCheckpointGivenToUnfusedModelIsRecognised() throws {
        let net = try Network(config: try ModelConfig.load("tiny"), seed: 1)
        let deploy = try DeployConversion.stateDict(from: net, fold: .exact)
        #expect(throws: WeightLoadError.wrongFlavour(file: "d", model: "tiny", expected: .unfused, found: .deploy)) {
            _ = try Network(config: try ModelConfig.load("tiny"), weights: deploy, source: "d")
        }
        #expect(throws: WeightLoadError.wrongFlavour(file: "u", model: "tiny", expected: .deploy, found: .unfused)) {
            _ = try Network(config: try ModelConfig.load("tiny"), flavour: .deploy, weights: net.stateDict, source: "u")
        }
    }

    @Test func spikformerLayerNormsAreAcceptedAndReportedUnused() throws {
        let f = try Fixtures.load("spikformer_tiny.safetensors")
        let w = FamilyFixture.weights(f)
        let net = try Network(config: try ModelConfig.load("spikformer-tiny"), weights: w)
        #expect(Set(net.unusedKeys) == ["block.0.norm1.weight", "block.0.norm1.bias", "block.0.norm2.weight", "block.0.norm2.bias"])
        #expect(net.unusedParameterCount == 256)
        // A checkpoint without them loads too.
        let stripped = w.filter { !$0.key.contains(".norm") }
        #expect(throws: Never.self) { _ = try Network(config: try ModelConfig.load("spikformer-tiny"), weights: stripped) }
    }

    @Test func seededInitIsDeterministicAndSavesRoundTrip() throws {
        let a = try Network(config: try ModelConfig.load("tiny"), seed: 3)
        let b = try Network(config: try ModelConfig.load("tiny"), seed: 3)
        #expect(a.stateDict == b.stateDict)
        let w = try #require(a.stateDict["block.0.attn.q_conv.weight"])
        let std = (w.storage.map { Double($0 * $0) }.reduce(0, +) / Double(w.count)).squareRoot()
        #expect(abs(std - 0.02) < 0.002)
        #expect(a.stateDict["patch_embed.proj_tsbn.weight"]!.storage.allSatisfy { $0 == 1 })
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("w-\(UInt32.random(in: 0...UInt32.max)).safetensors").path
        try a.save(to: path)
        let loaded = try Network(config: try ModelConfig.load("tiny"), weights: try Safetensors.read(path: path).tensors, source: path)
        #expect(loaded.stateDict == a.stateDict)
    }
}

@Suite struct ModelConfigTests {
    @Test func jsonConfigWithPythonKeys() throws {
        let json = #"{"family": "spikformer", "embed_dims": 96, "num_heads": 6, "mlp_ratios": 2, "depths": 2, "T": 2, "img_size": 32, "in_channels": 3, "num_classes": 100}"#
        let c = try ModelConfig.parse(json: Data(json.utf8), file: "c.json")
        #expect(c.family == .spikformer && c.embedDims == 96 && c.numHeads == 6 && c.mlpRatio == 2 && c.depths == 2 && c.timesteps == 2)
        let net = try Network(config: c)
        // 3·12·9 + 12·24·9 + 24·48·9 + 48·96·9 + 96·96·9 convs, BN 2·(12+24+48+96+96), 2 blocks, head.
        let stem = 3 * 12 * 9 + 12 * 24 * 9 + 24 * 48 * 9 + 48 * 96 * 9 + 96 * 96 * 9 + 2 * (12 + 24 + 48 + 96 + 96)
        let block = 4 * (96 * 96 + 96) + 4 * 2 * 96 + (96 * 192 + 192) + 2 * 192 + (192 * 96 + 96) + 2 * 96
        #expect(net.parameterCount == stem + 2 * block + 96 * 100 + 100)
    }

    @Test(arguments: [
        (#"{"family": "rtformer", "embed_dims": 64, "num_heads": 4, "depths": 1, "T": 4, "bogus": 1}"#, "bogus"),
        (#"{"family": "transformer", "embed_dims": 64, "num_heads": 4, "depths": 1, "T": 4}"#, "family"),
        (#"{"family": "rtformer", "embed_dims": 64, "num_heads": 5, "depths": 1, "T": 4}"#, "num_heads"),
        (#"{"family": "rtformer", "embed_dims": 64, "num_heads": 4, "depths": 1}"#, "T"),
        (#"{"family": "rtformer", "embed_dims": 64, "num_heads": 4, "depths": 1, "T": 4, "membrane_tsbn": "some"}"#, "membrane_tsbn"),
        (#"{"family": "rtformer", "embed_dims": 64, "num_heads": 4, "depths": 1, "T": 4, "pooling_stat": "01"}"#, "pooling_stat"),
        (#"{"family": "rtformer", "embed_dims": 64, "num_heads": 4, "depths": 0, "T": 4}"#, "depths"),
    ])
    func badConfigsNameTheKey(_ json: String, _ key: String) {
        do {
            _ = try ModelConfig.parse(json: Data(json.utf8), file: "bad.json")
            Issue.record("accepted \(json)")
        } catch {
            #expect("\(error)".contains("'\(key)'"), "\(error)")
        }
    }

    @Test func unknownNamedConfigListsTheKnownOnes() {
        #expect(throws: ModelConfigError.self) { _ = try ModelConfig.load("huge") }
    }

    @Test func membraneTSBNAllMakesEveryLIFATSBNLIF() throws {
        var c = try ModelConfig.load("tiny")
        c.membraneTSBN = .all
        let net = try Network(config: c)
        #expect(net.layers.filter(\.isNeuron).allSatisfy { $0.kind.neuron == .tsbnMembrane })
        // 2·T·C per TSBN-LIF added to 84,258: stem 8+16+32, shortcut/q/k/v/kv 5·64, fc1 64, fc2 256, head 64 (stcore already counted).
        let extra = 2 * 4 * (8 + 16 + 32 + 5 * 64 + 64 + 256 + 64)
        #expect(net.parameterCount == 84_258 + extra)
        let deploy = try DeployConversion.convert(net, fold: .exact)
        let input = Tensor(shape: [4, 2, 3, 32, 32], storage: (0..<(4 * 2 * 3 * 1024)).map { Float(sin(Double($0) * 0.37)) })
        let report = try Equivalence.compare(unfused: net, deploy: deploy, input: input, fold: .exact)
        #expect(report.endToEndTotal.structural == 0)
    }
}
