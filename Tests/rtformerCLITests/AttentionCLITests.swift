import Foundation
import RTFormer
import Testing

/// Issue 14 point 1 through the executable: `forward --dump` writes `<block>.attn.attention`
/// (SSA) and `<block>.attn.kv_sum` (SDSA), equal to attention recomputed from the fixtures' own
/// q/k (and v) spikes; `plot --kind attention` draws it.
@Suite(.serialized) struct AttentionCLITests {
    /// `rtformer forward` on a fixture's weights and input: the dump read back, and the fixture.
    static func forwardDump(model: String, fixture: String) throws -> (dump: SafetensorsFile, fixture: SafetensorsFile) {
        let out = CLI.temp("\(model)-attention-dump.safetensors")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let fx = CLI.fixtures + "/" + fixture
        let r = try CLI.run(["forward", "--model", model, "--weights", fx, "--input", fx, "--dump", out])
        #expect(r.status == 0, "\(r.stderr)")
        return (try Safetensors.read(path: out), try Safetensors.read(path: fx))
    }

    @Test func ssaDumpEqualsQKOfTheSpikformerFixtureSpikes() throws {
        let (dump, f) = try Self.forwardDump(model: "spikformer-tiny", fixture: "spikformer_tiny.safetensors")
        let a = try #require(dump.tensors["block.0.attn.attention"]), counts = try #require(dump.tensors["block.0.attn.qk_counts"])
        let q = try #require(f.tensors["out.block.0.attn.q_lif"]), k = try #require(f.tensors["out.block.0.attn.k_lif"])
        let (tt, b, n, d, heads) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3], 4)
        #expect(a.shape == [tt, b, heads, n, n] && counts.shape == a.shape)
        var expectedCounts: [Float] = []
        for sb in 0..<(tt * b) {
            for h in 0..<heads {
                for i in 0..<n {
                    for j in 0..<n {
                        var c: Float = 0
                        for ch in (h * d / heads)..<((h + 1) * d / heads) { c += q.storage[(sb * n + i) * d + ch] * k.storage[(sb * n + j) * d + ch] }
                        expectedCounts.append(c)
                    }
                }
            }
        }
        #expect(counts.storage == expectedCounts)
        #expect(a.storage == expectedCounts.map { $0 * 0.125 }, "dumped attention is (q·kᵀ)·0.125 of the fixture spikes, exactly")
    }

    @Test func sdsaDumpEqualsKVOfTheRTFormerFixtureSpikes() throws {
        let (dump, f) = try Self.forwardDump(model: "tiny", fixture: "rtformer_tiny.safetensors")
        let kv = try #require(dump.tensors["block.0.attn.kv_sum"]), m = try #require(dump.tensors["block.0.attn.kv_mask"])
        let k = try #require(f.tensors["unfused.block.0.attn.k_lif.spikes"]), v = try #require(f.tensors["unfused.block.0.attn.v_lif.spikes"])
        #expect(kv.shape == [4, 2, 64, 1])
        let n = 64
        let expected = (0..<(4 * 2 * 64)).map { row in (0..<n).reduce(Float(0)) { $0 + k.storage[row * n + $1] * v.storage[row * n + $1] } }
        #expect(kv.storage == expected, "dumped KV is Σ_n K⊙V of the fixture spikes, exactly")
        #expect(m.storage == (try #require(f.tensors["unfused.block.0.attn.kv_lif.spikes"])).storage)
        #expect(dump.tensors["block.0.attn.attention"] == nil, "SDSA has no token × token map")
    }

    @Test func plotsAttention() throws {
        let png = CLI.temp("attention.png"), csv = CLI.temp("attention.csv")
        defer { for p in [png, csv] { try? FileManager.default.removeItem(atPath: p) } }
        let a = try CLI.run(["plot", "--input", "digits", "--kind", "attention", "--layer", "block.0", "--t", "1", "--out", png])
        #expect(a.status == 0, "\(a.stderr)")
        #expect(a.stdout.contains("wrote the attention figure (PNG 800x560)"))
        let fx = CLI.fixtures + "/spikformer_tiny.safetensors"
        let b = try CLI.run(["plot", "--model", "spikformer-tiny", "--weights", fx, "--input", "default", "--kind", "attention",
                             "--layer", "block.0", "--out", csv])
        #expect(b.status == 0, "\(b.stderr)")
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "query,key,count,attention" && lines.count == 1 + 64 * 64)
    }
}
