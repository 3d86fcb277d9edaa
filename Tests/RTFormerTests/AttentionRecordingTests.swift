import Testing
@testable import RTFormer

/// Issue 14 point 1: the attention a forward records (`Recorder.attention(block:)`, dumped by
/// `forward --dump`) is what the model computes, checked exactly against attention recomputed
/// here from the fixtures' own q/k/v spikes (binary, so every product and sum is an exact
/// integer in Float32 and the 0.125 scale a power of two: no tolerance is needed anywhere).
@Suite struct AttentionRecordingTests {
    /// SSA from the Spikformer fixture's `out.block.0.attn.{q,k}_lif` spikes `[T, B, N, C]`:
    /// attention[t, b, h, i, j] = 0.125 · Σ_{c ∈ head h} q[t, b, i, c] · k[t, b, j, c].
    @Test func ssaAttentionEqualsQKFromFixtureSpikes() throws {
        let f = try Fixtures.load("spikformer_tiny.safetensors")
        let config = try ModelConfig.load("spikformer-tiny")
        let net = try Network(config: config, weights: FamilyFixture.weights(f))
        let rec = Recorder()
        _ = try net.forward(FamilyFixture.repeated(try #require(f.tensors["input"]), timesteps: 4), recorder: rec)
        #expect(rec.attentionBlocks == ["block.0"])
        let record = try #require(rec.attention(block: "block.0"))
        #expect(record.kind == .ssa)
        let attention = try #require(record.attention)
        let q = try #require(f.tensors["out.block.0.attn.q_lif"]), k = try #require(f.tensors["out.block.0.attn.k_lif"])
        let (tt, b, n, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let heads = config.numHeads, dh = d / heads
        #expect(attention.shape == [tt, b, heads, n, n])
        let counts = try #require(record.counts)
        var expected = [Float](repeating: 0, count: tt * b * heads * n * n)
        var nonZero = 0
        for sb in 0..<(tt * b) {
            for h in 0..<heads {
                for i in 0..<n {
                    for j in 0..<n {
                        var count = 0
                        for c in (h * dh)..<((h + 1) * dh) where q.storage[(sb * n + i) * d + c] != 0 && k.storage[(sb * n + j) * d + c] != 0 {
                            count += 1
                        }
                        let o = ((sb * heads + h) * n + i) * n + j
                        expected[o] = Float(count) * 0.125
                        #expect(counts.storage[o] == Float(count))
                        if count > 0 { nonZero += 1 }
                    }
                }
            }
        }
        #expect(attention.storage == expected, "recorded SSA attention equals (q·kᵀ)·0.125 of the fixture spikes")
        #expect(nonZero > 1000, "the fixture attends: \(nonZero) non-zero entries")
        // The fixture's attn_lif input is (attention · v) re-laid to [T, B, N, C]: the recorded map
        // times the fixture's v spikes gives it exactly (multiples of 1/8, small integers).
        let v = try #require(f.tensors["out.block.0.attn.v_lif"]), y = try #require(f.tensors["in.block.0.attn.attn_lif"])
        var mismatched = 0
        for sb in 0..<(tt * b) {
            for i in 0..<n {
                for c in 0..<d {
                    let h = c / dh
                    var acc: Float = 0
                    for j in 0..<n { acc += attention.storage[((sb * heads + h) * n + i) * n + j] * v.storage[(sb * n + j) * d + c] }
                    if acc != y.storage[(sb * n + i) * d + c] { mismatched += 1 }
                }
            }
        }
        #expect(mismatched == 0, "attention · v equals the fixture's in.block.0.attn.attn_lif")
    }

    /// SDSA from the RTFormer fixture's `unfused.block.0.attn.{k,v}_lif` spikes `[T, B, D, H, W]`:
    /// KV[t, b, c] = Σ_n K⊙V (SPEC R16), its mask equals the fixture's `kv_lif` spikes, and the
    /// fixture's kv_lif H at t = 0 (membrane from rest: H = KV/τ, τ = 2) is KV/2 exactly.
    @Test func sdsaKVSumEqualsKVFromFixtureSpikes() throws {
        let f = try Fixtures.load("rtformer_tiny.safetensors", "rtformer_tiny_states.safetensors")
        let net = try Network(config: try ModelConfig.load("tiny"), weights: FamilyFixture.weights(f))
        let rec = Recorder()
        _ = try net.forward(FamilyFixture.repeated(try #require(f.tensors["input"]), timesteps: 4), recorder: rec)
        let record = try #require(rec.attention(block: "block.0"))
        #expect(record.kind == .sdsa)
        let kv = try #require(record.kvSum), mask = try #require(record.kvMask)
        let k = try #require(f.tensors["unfused.block.0.attn.k_lif.spikes"]), v = try #require(f.tensors["unfused.block.0.attn.v_lif.spikes"])
        #expect(kv.shape == [4, 2, 64, 1])
        #expect(kv.storage == Self.kvSum(k, v), "recorded KV equals Σ_n K⊙V of the fixture spikes")
        let fixtureMask = try #require(f.tensors["unfused.block.0.attn.kv_lif.spikes"])
        #expect(mask.shape == fixtureMask.shape)
        #expect(mask.storage == fixtureMask.storage, "recorded mask equals the fixture's kv_lif spikes")
        let h = try #require(f.tensors["unfused.block.0.attn.kv_lif.h"])
        let perStep = kv.count / 4
        #expect(Array(h.storage.prefix(perStep)) == kv.storage.prefix(perStep).map { $0 / 2 })
        #expect(kv.storage.contains { $0 > 0 } && mask.storage.contains(1) && mask.storage.contains(0))
    }

    /// The same for the public SDT code's fixture, whose KV neuron is `talking_heads_lif`
    /// `[T, B, heads, 1, d_h]` (SPEC R17).
    @Test func sdtKVSumEqualsKVFromFixtureSpikes() throws {
        let f = try Fixtures.load("sdt_tiny.safetensors")
        let net = try Network(config: try ModelConfig.load("sdt-tiny"), weights: FamilyFixture.weights(f))
        let rec = Recorder()
        _ = try net.forward(FamilyFixture.repeated(try #require(f.tensors["input"]), timesteps: 4), recorder: rec)
        let record = try #require(rec.attention(block: "block.0"))
        let kv = try #require(record.kvSum), mask = try #require(record.kvMask)
        #expect(kv.shape == [4, 2, 4, 1, 16])
        let k = try #require(f.tensors["unfused.block.0.attn.k_lif.spikes"]), v = try #require(f.tensors["unfused.block.0.attn.v_lif.spikes"])
        #expect(kv.storage == Self.kvSum(k, v))
        #expect(mask.storage == (try #require(f.tensors["unfused.block.0.attn.talking_heads_lif.spikes"])).storage)
    }

    /// Recording never changes what the model computes, and a recorder that keeps only spikes
    /// records no attention.
    @Test(arguments: ["tiny", "spikformer-tiny", "sdt-tiny"])
    func recordingLeavesOutputsBitIdentical(_ name: String) throws {
        let config = try ModelConfig.load(name)
        let x = Tensor(shape: [config.timesteps, 1, config.inChannels, config.imgSize, config.imgSize],
                       storage: (0..<(config.timesteps * config.inChannels * config.imgSize * config.imgSize)).map { Float(($0 * 37) % 101) / 50 - 1 })
        let plain = try Network(config: config).forward(x)
        let full = Recorder(), compact = Recorder(level: .spikes)
        #expect(try Network(config: config).forward(x, recorder: full) == plain)
        #expect(try Network(config: config).forward(x, recorder: compact) == plain)
        #expect(full.attentionBlocks.count == config.depths)
        #expect(compact.attentionBlocks.isEmpty && compact.attentionDumpTensors.isEmpty)
        #expect(full.attentionDumpTensors.count == 2 * config.depths)
    }

    /// Σ_n K⊙V per (t, b, c) of `[T, B, D, H, W]` spikes.
    static func kvSum(_ k: Tensor, _ v: Tensor) -> [Float] {
        let n = k.shape[3] * k.shape[4], rows = k.count / n
        return (0..<rows).map { r in Float((0..<n).filter { k.storage[r * n + $0] != 0 && v.storage[r * n + $0] != 0 }.count) }
    }
}
