import Testing
@testable import RTFormer

/// Fixture helpers shared by the family tests.
enum FamilyFixture {
    /// `weights.*` keys without their prefix.
    static func weights(_ f: SafetensorsFile, prefix: String = "weights.") -> StateDict {
        var d: StateDict = [:]
        for (k, v) in f.tensors where k.hasPrefix(prefix) { d[String(k.dropFirst(prefix.count))] = v }
        return d
    }

    /// `input` `[B, C, H, W]` repeated over T → `[T, B, C, H, W]` (direct encoding, SPEC §1).
    static func repeated(_ x: Tensor, timesteps: Int) -> Tensor {
        Tensor(shape: [timesteps] + x.shape, storage: Array([[Float]](repeating: x.storage, count: timesteps).joined()))
    }
}

@Suite struct ParameterCountTests {
    @Test(arguments: [("tiny", 84_258), ("S-T-4-384", 8_104_090), ("spikformer-4-384", 9_324_730), ("sdt-4-384", 9_320_378),
                      ("sdt-tiny", 112_994)])
    func matchesSpec(_ name: String, _ expected: Int) throws {
        let net = try Network(config: try ModelConfig.load(name))
        #expect(net.parameterCount == expected)
    }

    @Test func spikformerReportsUnusedLayerNorms() throws {
        let net = try Network(config: try ModelConfig.load("spikformer-4-384"))
        #expect(net.unusedParameterCount == 6_144)
        #expect(net.parameterCount + net.unusedParameterCount == 9_330_874)
    }
}

@Suite struct RTFormerTinyFixture {
    static let fixture = Result {
        try Fixtures.load("rtformer_tiny.safetensors", "rtformer_tiny_states.safetensors", "rtformer_tiny_deploy.safetensors")
    }

    @Test func unfusedForwardMatchesReference() throws {
        let f = try Self.fixture.get()
        let net = try Network(config: try ModelConfig.load("tiny"), weights: FamilyFixture.weights(f), source: "rtformer_tiny")
        let rec = Recorder()
        let logits = try net.forward(FamilyFixture.repeated(try #require(f.tensors["input"]), timesteps: 4), recorder: rec)
        #expect(rec.lifOrder.count == 12)
        for path in rec.lifOrder {
            let r = try #require(rec.lifs[path])
            let spikes = try #require(f.tensors["unfused.\(path).spikes"], "no reference for \(path)")
            #expect(r.tensor(\.spikes).shape == spikes.shape, "\(path) shape")
            #expect(mismatches(r.tensor(\.spikes).reshaped(spikes.shape), spikes) == 0, "\(path) spikes")
            expectClose(r.tensor(\.h).reshaped(spikes.shape), try #require(f.tensors["unfused.\(path).h"]), rtol: 0, atol: 1e-5, "\(path).h")
            expectClose(r.tensor(\.v).reshaped(spikes.shape), try #require(f.tensors["unfused.\(path).v"]), rtol: 0, atol: 1e-5, "\(path).v")
            if let hh = f.tensors["unfused.\(path).h_hat"] {
                expectClose(r.comparedTensor.reshaped(spikes.shape), hh, rtol: 0, atol: 1e-5, "\(path).h_hat")
            }
        }
        expectClose(logits, try #require(f.tensors["unfused.logits"]), rtol: 0, atol: 1e-5, "logits")
        for name in ["patch_embed.x_feat", "patch_embed.stcore.rep.out", "patch_embed.out", "block.0.out"] {
            expectClose(try #require(rec.streams[name]), try #require(f.tensors["unfused.\(name)"]), rtol: 1e-6, atol: 1e-5, name)
        }
    }

    @Test func steppingEqualsWholeForward() throws {
        let f = try Self.fixture.get()
        let input = FamilyFixture.repeated(try #require(f.tensors["input"]), timesteps: 4)
        let whole = try Network(config: try ModelConfig.load("tiny"), weights: FamilyFixture.weights(f))
        let recWhole = Recorder()
        let logitsWhole = try whole.forward(input, recorder: recWhole)
        let stepped = try Network(config: try ModelConfig.load("tiny"), weights: FamilyFixture.weights(f))
        let recStep = Recorder()
        try stepped.start(input, recorder: recStep)
        for t in 1...4 { try stepped.advance(to: t) }
        #expect(try #require(stepped.logits) == logitsWhole)
        for path in recWhole.lifOrder {
            #expect(recWhole.lifs[path]!.spikes == recStep.lifs[path]!.spikes, "\(path)")
            #expect(recWhole.lifs[path]!.h == recStep.lifs[path]!.h, "\(path)")
        }
    }

    @Test func trainStepMatchesReference() throws {
        let f = try Self.fixture.get()
        let net = try Network(config: try ModelConfig.load("tiny"), weights: FamilyFixture.weights(f))
        net.mode = .train
        let rec = Recorder()
        let logits = try net.forward(FamilyFixture.repeated(try #require(f.tensors["input"]), timesteps: 4), recorder: rec)
        expectClose(logits, try #require(f.tensors["train.logits"]), rtol: 0, atol: 1e-4, "train logits")
        let state = net.currentStateDict()
        var checked = 0
        for key in f.keys where key.hasPrefix("train.") && key.hasSuffix(".window_mean") {
            let path = String(key.dropFirst("train.".count).dropLast(".window_mean".count))
            let recs = try #require(rec.windows[path], "no window record for \(path)").sorted { $0.t < $1.t }
            let c = recs[0].mean.count
            expectClose(Tensor(shape: [4, c], storage: recs.flatMap(\.mean)), try #require(f.tensors[key]), rtol: 1e-5, atol: 1e-5, key)
            expectClose(Tensor(shape: [4, c], storage: recs.flatMap(\.variance)), try #require(f.tensors["train.\(path).window_var"]),
                        rtol: 1e-5, atol: 1e-5, "\(path).window_var")
            for stat in ["running_mean", "running_var"] {
                if let ref = f.tensors["train.\(path).\(stat)"] {
                    expectClose(try #require(state["\(path).\(stat)"]), ref, rtol: 1e-5, atol: 1e-5, "\(path).\(stat)")
                }
            }
            checked += 1
        }
        #expect(checked == 16)
    }
}

@Suite struct SDTTinyFixture {
    @Test func forwardMatchesReference() throws {
        let f = try Fixtures.load("sdt_tiny.safetensors", "sdt_tiny_states.safetensors")
        let net = try Network(config: try ModelConfig.load("sdt-tiny"), weights: FamilyFixture.weights(f), source: "sdt_tiny")
        let rec = Recorder()
        let logits = try net.forward(FamilyFixture.repeated(try #require(f.tensors["input"]), timesteps: 4), recorder: rec)
        #expect(rec.lifOrder.count == 12)
        for path in rec.lifOrder {
            let spikes = try #require(f.tensors["unfused.\(path).spikes"], "no reference for \(path)")
            let r = try #require(rec.lifs[path])
            #expect(r.tensor(\.spikes).shape == spikes.shape, "\(path) shape")
            #expect(mismatches(r.tensor(\.spikes).reshaped(spikes.shape), spikes) == 0, "\(path) spikes")
            expectClose(r.tensor(\.h).reshaped(spikes.shape), try #require(f.tensors["unfused.\(path).h"]), rtol: 0, atol: 1e-5, "\(path).h")
            expectClose(r.tensor(\.v).reshaped(spikes.shape), try #require(f.tensors["unfused.\(path).v"]), rtol: 0, atol: 1e-5, "\(path).v")
        }
        expectClose(logits, try #require(f.tensors["unfused.logits"]), rtol: 0, atol: 1e-5, "logits")
        for name in ["patch_embed.out", "block.0.out"] {
            expectClose(try #require(rec.streams[name]), try #require(f.tensors["unfused.\(name)"]), rtol: 1e-6, atol: 1e-5, name)
        }
    }
}

@Suite struct SpikformerTinyFixture {
    @Test func forwardMatchesSpikformerCode() throws {
        let f = try Fixtures.load("spikformer_tiny.safetensors")
        let net = try Network(config: try ModelConfig.load("spikformer-tiny"), weights: FamilyFixture.weights(f), source: "spikformer_tiny")
        #expect(net.unusedKeys.count == 4)
        let rec = Recorder()
        let logits = try net.forward(FamilyFixture.repeated(try #require(f.tensors["input"]), timesteps: 4), recorder: rec)
        #expect(rec.lifOrder.count == 12)
        for path in rec.lifOrder {
            let spikes = try #require(f.tensors["out.\(path)"], "no reference for \(path)")
            let r = try #require(rec.lifs[path])
            #expect(mismatches(r.tensor(\.spikes).reshaped(spikes.shape), spikes) == 0, "\(path) spikes")
            let current = try #require(f.tensors["in.\(path)"])
            // Input currents within 1e-5 of the tensor's largest magnitude.
            expectClose(r.tensor(\.x).reshaped(current.shape), current, rtol: 1e-5, atol: 0, "in.\(path)")
        }
        expectClose(logits, try #require(f.tensors["logits"]), rtol: 0, atol: 1e-5, "logits")
        expectClose(try #require(rec.streams["features"]), try #require(f.tensors["features"]), rtol: 1e-6, atol: 1e-5, "features")
        expectClose(try #require(rec.streams["block.0"]), try #require(f.tensors["out.block.0"]), rtol: 1e-6, atol: 1e-5, "block.0")
    }
}
